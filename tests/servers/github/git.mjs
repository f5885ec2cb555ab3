// Reads of the real bare repositories the fake's repositories stand for (`git` on PATH): refs,
// trees, ancestry, diff sizes. Read at answer time, so a force-push shows at once.

import { execFile } from 'node:child_process';

/** Runs git in `dir`: `{code, stdout}` (code -1 when git could not start). */
function git(dir, args) {
  return new Promise((resolve) => {
    execFile('git', ['-C', dir, ...args], { maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout) => {
      if (err && typeof err.code !== 'number') resolve({ code: -1, stdout: '' });
      else resolve({ code: err ? err.code : 0, stdout });
    });
  });
}

/** Whether `name` may be given to git as a revision (not an option, no odd characters). */
function safe(name) {
  return typeof name === 'string' && name !== '' && !name.startsWith('-') && !/[\s\\~^:?*[\0]|\.\./.test(name);
}

/** The commit a revision names, or null. */
export async function commitOf(dir, rev) {
  if (!safe(rev)) return null;
  const out = await git(dir, ['rev-parse', '--verify', '-q', `${rev}^{commit}`]);
  return out.code === 0 ? out.stdout.trim() : null;
}

/** The commit `refs/heads/BRANCH` points to, or null. */
export function branch(dir, name) {
  return safe(name) ? commitOf(dir, `refs/heads/${name}`) : Promise.resolve(null);
}

/** The tree a revision (commit, tree, branch, tag) names, or null. */
export async function treeOf(dir, rev) {
  if (!safe(rev)) return null;
  const out = await git(dir, ['rev-parse', '--verify', '-q', `${rev}^{tree}`]);
  return out.code === 0 ? out.stdout.trim() : null;
}

/** Whether the repository has no ref at all (GitHub: "Git Repository is empty."). */
export async function isEmpty(dir) {
  const out = await git(dir, ['for-each-ref', '--count=1']);
  return out.code === 0 && out.stdout.trim() === '';
}

/** Whether `dir` is a git repository git can read. */
export async function exists(dir) {
  return (await git(dir, ['rev-parse', '--git-dir'])).code === 0;
}

/**
 * The entries of a tree (`recursive`: every entry below it, trees included):
 * `{mode, type, sha, size, path}`.
 */
export async function lsTree(dir, tree, recursive) {
  const out = await git(dir, ['ls-tree', ...(recursive ? ['-r', '-t'] : []), '-l', '-z', tree]);
  if (out.code !== 0) return null;
  return out.stdout
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode, type, sha, size] = line.slice(0, tab).split(/\s+/);
      return { mode, type, sha, size: size === '-' ? undefined : Number(size), path: line.slice(tab + 1) };
    });
}

/** Whether commit `a` is an ancestor of (or equal to) commit `b`. */
export async function isAncestor(dir, a, b) {
  return (await git(dir, ['merge-base', '--is-ancestor', a, b])).code === 0;
}

/** What a pull request from `head` into `base` holds: commits, lines added and removed, files. */
export async function compare(dir, base, head) {
  const zero = { commits: 0, additions: 0, deletions: 0, changed_files: 0 };
  if (!base || !head) return zero;
  const [count, stat] = await Promise.all([
    git(dir, ['rev-list', '--count', `${base}..${head}`]),
    git(dir, ['diff', '--numstat', `${base}...${head}`]),
  ]);
  if (count.code !== 0 || stat.code !== 0) return zero;
  const rows = stat.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
  return {
    commits: Number(count.stdout.trim()),
    additions: rows.reduce((n, r) => n + (Number(r[0]) || 0), 0),
    deletions: rows.reduce((n, r) => n + (Number(r[1]) || 0), 0),
    changed_files: rows.length,
  };
}
