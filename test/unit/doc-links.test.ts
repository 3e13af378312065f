import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The repository explains itself: every relative link in its Markdown reaches a file (and a heading,
 * when it names one), every docs/ path cited in code exists, and nothing points outside the
 * repository or to where the work was once tracked.
 */
const root = path.join(__dirname, '../..');
const tracked = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && fs.existsSync(path.join(root, f)) && !f.endsWith('package-lock.json'));
const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
const markdown = tracked.filter((f) => f.endsWith('.md'));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(file: string): Set<string> {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

/** Every relative link of a Markdown file outside code blocks: [text](target). */
function links(file: string): string[] {
  const text = read(file).replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t));
}

describe('documentation links', () => {
  it('finds the docs to check', () => {
    expect(markdown).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'docs/architecture.md', 'docs/guides/README.md']));
  });

  it.each(markdown)('%s: every relative link reaches a file, and a heading when it names one', (file) => {
    const broken = links(file).flatMap((target) => {
      const [pathPart, anchor] = target.split('#');
      const resolved = pathPart ? path.normalize(path.join(path.dirname(file), pathPart)) : file;
      if (!fs.existsSync(path.join(root, resolved))) return [`${target} (no file ${resolved})`];
      if (anchor && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) return [`${target} (no heading #${anchor} in ${resolved})`];
      return [];
    });
    expect(broken).toEqual([]);
  });

  it('every docs/ path cited in code or tests exists', () => {
    const code = tracked.filter((f) => /\.(ts|mjs|js|yml|sh)$/.test(f) || f === 'Dockerfile');
    const missing = code.flatMap((f) =>
      [...read(f).matchAll(/\bdocs\/[\w./-]*\.md\b/g)]
        .map((m) => m[0])
        .filter((p) => !fs.existsSync(path.join(root, p)))
        .map((p) => `${f}: ${p}`),
    );
    expect(missing).toEqual([]);
  });

  it('nothing refers outside the repository, to a design or contract file it lacks, or to tracker issues', () => {
    // Assembled so that this file does not match itself.
    const forbidden = [
      new RegExp(['\\.\\.', 'shared'].join('/')),
      new RegExp(['DESIGN', 'md'].join('\\.')),
      new RegExp(['API', 'md'].join('\\.')),
      new RegExp(['issue', '[0-9]'].join(' '), 'i'),
    ];
    const self = path.relative(root, __filename);
    const offenders = tracked
      .filter((f) => f !== self && !/\.(png|jpg|ico|gz)$/.test(f))
      .flatMap((f) => forbidden.filter((re) => re.test(read(f))).map((re) => `${f}: ${re.source}`));
    expect(offenders).toEqual([]);
  });
});
