// The control API of the tests, under /__control/ (not GitHub's, never validated): seed state,
// mark pull requests merged or closed, set faults, read the request log and the violations.

import * as git from './git.mjs';
import { renderPull } from './handlers.mjs';
import { stamp } from './objects.mjs';
import { SeedError } from './state.mjs';

const ZERO = '0'.repeat(40);

function need(value, what) {
  if (value === undefined || value === null || value === '') throw new SeedError(`${what} is required`);
  return value;
}

/** The repository a seed names (`owner`, `repo`), which must have been added. */
function repoOf(server, seed) {
  const repo = server.state.repo(need(seed.owner, 'owner'), need(seed.repo, 'repo'));
  if (!repo) throw new SeedError(`no repository ${seed.owner}/${seed.repo}: add it first`);
  return repo;
}

function pullOf(server, seed) {
  const repo = repoOf(server, seed);
  const pr = server.state.pull(repo, Number(need(seed.number, 'number')));
  if (!pr) throw new SeedError(`no pull request #${seed.number} in ${seed.owner}/${seed.repo}`);
  return { repo, pr };
}

const PULL_FIELDS = ['owner', 'repo', 'head', 'head_owner', 'base', 'title', 'body', 'state', 'user', 'draft', 'maintainer_can_modify', 'head_sha', 'created_at'];

/** A time a seed gives (`2026-12-01T09:00:00Z`, as GitHub writes them), or `fallback`. */
function when(value, what, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new SeedError(`${what} is a time as GitHub writes them (2026-12-01T09:00:00Z), not ${JSON.stringify(value)}`);
  }
  return value;
}

/** The time a merge or close happens: `at` of the request (not before the pull request was opened), or now. */
function endOf(pr, body) {
  const at = when(body.at, 'at', stamp());
  if (at < pr.created_at) throw new SeedError(`at ${at} is before pull request #${pr.number} was opened (${pr.created_at})`);
  return at;
}

/** Adds a pull request someone made (another user's, a closed one); heads read from git. */
async function addPull(server, seed) {
  const unknown = Object.keys(seed).filter((k) => !PULL_FIELDS.includes(k));
  if (unknown.length) throw new SeedError(`unknown pull field(s) ${unknown.join(', ')}; known: ${PULL_FIELDS.join(', ')}`);
  const { state } = server;
  const repo = repoOf(server, seed);
  need(seed.head, 'head');
  when(seed.created_at, 'created_at');
  if (seed.state && !['open', 'closed'].includes(seed.state)) throw new SeedError('state is open or closed');
  const headRepo = state.headRepo(repo, { head_owner: seed.head_owner ?? repo.owner });
  const base = seed.base ?? repo.default_branch;
  const [headSha, baseSha] = await Promise.all([
    git.branch(state.gitDir(headRepo), seed.head),
    git.branch(state.gitDir(repo), base),
  ]);
  const { owner: _o, repo: _r, ...rest } = seed;
  return state.addPull(repo, { ...rest, base, head_sha: headSha ?? seed.head_sha ?? ZERO, base_sha: baseSha ?? ZERO });
}

/** Adds a check run on the commit `sha`, or on the one `ref` names in the bare repository. */
async function addCheckRun(server, seed) {
  const known = ['owner', 'repo', 'sha', 'ref', 'name', 'status', 'conclusion', 'title', 'summary'];
  const unknown = Object.keys(seed).filter((k) => !known.includes(k));
  if (unknown.length) throw new SeedError(`unknown check run field(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const repo = repoOf(server, seed);
  need(seed.name, 'name');
  let sha = seed.sha;
  if (!sha) {
    sha = await git.commitOf(server.state.gitDir(repo), need(seed.ref, 'sha or ref'));
    if (!sha) throw new SeedError(`${seed.ref} names no commit in ${server.state.gitDir(repo)}`);
  }
  return server.state.addCheckRun(repo, { ...seed, head_sha: sha });
}

/** Everything a seed document may hold: `{repos, teams, pulls, check_runs, faults}`. */
export async function seed(server, doc) {
  const known = ['repos', 'teams', 'pulls', 'check_runs', 'faults'];
  const unknown = Object.keys(doc ?? {}).filter((k) => !known.includes(k));
  if (unknown.length) throw new SeedError(`unknown seed field(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const out = { repos: [], teams: [], pulls: [], check_runs: [] };
  for (const r of doc.repos ?? []) out.repos.push(`${server.state.addRepo(r).owner}/${r.name}`);
  for (const t of doc.teams ?? []) out.teams.push(server.state.addTeam(t).slug);
  for (const p of doc.pulls ?? []) out.pulls.push((await addPull(server, p)).number);
  for (const c of doc.check_runs ?? []) out.check_runs.push((await addCheckRun(server, c)).id);
  for (const f of doc.faults ?? []) server.faults.add(f);
  return out;
}

/** Handles `METHOD /__control/NAME`: `{status, body}`. */
export async function control(server, method, name, search, body) {
  const { state } = server;
  const q = Object.fromEntries(search);
  const ctx = server.context();
  const route = `${method} ${name}`;
  try {
    switch (route) {
      case 'GET health':
        return { status: 200, body: { ok: true } };
      case 'POST seed':
        return { status: 200, body: await seed(server, body) };
      case 'POST repos':
        state.addRepo(body);
        return { status: 200, body: server.objects.repository(state.view(repoOf(server, { owner: body.owner, repo: body.name })), 'full') };
      case 'POST teams':
        return { status: 200, body: state.addTeam(body) };
      case 'POST pulls': {
        const pr = await addPull(server, body);
        return { status: 200, body: await renderPull(ctx, repoOf(server, body), pr, 'full') };
      }
      case 'GET pulls': {
        const repo = repoOf(server, q);
        const all = state.pulls(repo);
        return { status: 200, body: await Promise.all(all.map((p) => renderPull(ctx, repo, p, 'full'))) };
      }
      case 'POST pulls/merge': {
        const { repo, pr } = pullOf(server, body);
        pr.stats = await git.compare(state.gitDir(repo), pr.base_sha, pr.head_sha);
        const now = endOf(pr, body);
        Object.assign(pr, {
          state: 'closed',
          closed_at: pr.closed_at ?? now,
          merged_at: now,
          updated_at: now,
          merged_by: body.merged_by ?? 'octo-merger',
          merge_commit_sha: body.merge_commit_sha ?? (await git.branch(state.gitDir(repo), pr.base)) ?? ZERO,
        });
        return { status: 200, body: await renderPull(ctx, repo, pr, 'full') };
      }
      case 'POST pulls/close': {
        const { repo, pr } = pullOf(server, body);
        pr.stats = await git.compare(state.gitDir(repo), pr.base_sha, pr.head_sha);
        const at = endOf(pr, body);
        Object.assign(pr, { state: 'closed', closed_at: at, updated_at: at });
        return { status: 200, body: await renderPull(ctx, repo, pr, 'full') };
      }
      case 'GET comments': {
        const repo = repoOf(server, q);
        const number = q.number === undefined ? undefined : Number(q.number);
        return { status: 200, body: state.commentsOf(repo, number).map((c) => server.objects.comment(repo, c)) };
      }
      case 'GET labels': {
        const { repo, pr } = pullOf(server, q);
        return { status: 200, body: state.labelsOf(repo, pr).map((l) => server.objects.label(repo, l)) };
      }
      case 'POST check-runs':
        return { status: 200, body: await addCheckRun(server, body) };
      case 'POST faults':
        for (const rule of Array.isArray(body) ? body : [body]) server.faults.add(rule);
        return { status: 200, body: server.faults.list() };
      case 'GET faults':
        return { status: 200, body: server.faults.list() };
      case 'DELETE faults':
        server.faults.clear();
        return { status: 200, body: [] };
      case 'GET requests':
        return { status: 200, body: server.log };
      case 'DELETE requests':
        server.log = [];
        return { status: 200, body: [] };
      case 'GET violations':
        return { status: 200, body: server.violations };
      case 'POST violations/take': {
        const taken = server.violations;
        server.violations = [];
        return { status: 200, body: taken };
      }
      default:
        return { status: 404, body: { error: `no control endpoint ${route}` } };
    }
  } catch (e) {
    if (e instanceof SeedError) return { status: 400, body: { error: e.message } };
    throw e;
  }
}
