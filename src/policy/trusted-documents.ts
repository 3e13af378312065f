/**
 * Trusted documents: a partner app given an allow-list of operations (its manifest) runs only those.
 * `listing` is what the app's allow-list says of the request's document: whether it has one, and
 * whether the document is on it. An app without an allow-list runs what its scopes allow, as any
 * principal; with one, anything not on it is refused before it is parsed.
 */
export function operationTrusted(listing: { listed: boolean; onList: boolean }): boolean {
  if (!listing.listed) return true;
  return listing.onList;
}
