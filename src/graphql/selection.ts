import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * Whether the client's selection under this field reaches `path` (e.g. edges → node → subjects),
 * through fragments and inline fragments alike: lets a list fetch a nested field with its page.
 */
export function selectsPath(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const reaches = (sets: readonly (SelectionSetNode | undefined)[], depth: number): boolean => {
    if (depth === path.length) return true;
    const next: SelectionSetNode[] = [];
    const visit = (set: SelectionSetNode | undefined) => {
      for (const selection of set?.selections ?? []) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value === path[depth] && selection.selectionSet) next.push(selection.selectionSet);
          else if (selection.name.value === path[depth] && depth === path.length - 1)
            next.push({ kind: Kind.SELECTION_SET, selections: [] });
        } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
        else visit(info.fragments[selection.name.value]?.selectionSet);
      }
    };
    sets.forEach(visit);
    return next.length > 0 && reaches(next, depth + 1);
  };
  return reaches(
    info.fieldNodes.map((node: FieldNode) => node.selectionSet),
    0,
  );
}
