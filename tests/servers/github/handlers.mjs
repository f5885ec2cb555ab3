// The operations the fake implements, by operationId: the endpoints pave calls, with GitHub's
// answers for the cases pave must handle (archived repositories, a pull request that already
// exists, a branch with nothing to merge, an unknown team, an empty repository).

import * as git from './git.mjs';
import { errorBody, stamp } from './objects.mjs';

const ZERO = '0'.repeat(40);

const notFound = (ctx) => ({ status: 404, body: errorBody(404, 'Not Found', ctx.docs) });
const archived = (ctx) => ({ status: 403, body: errorBody(403, 'Repository was archived so is read-only.', ctx.docs) });
const invalid = (ctx, errors, message = 'Validation Failed') => ({ status: 422, body: errorBody(422, message, ctx.docs, errors) });

/** The repository of the path (`owner`, `repo`), or null. */
function repoOf(ctx) {
  return ctx.state.repo(ctx.params.owner, ctx.params.repo) ?? null;
}

/** What git says of a pull request now: head and base commits, and (`stats`) its size. */
async function live(ctx, repo, pr, stats) {
  const { state } = ctx;
  const headRepo = state.headRepo(repo, pr);
  const [head, base] = await Promise.all([
    git.branch(state.gitDir(headRepo), pr.head),
    git.branch(state.gitDir(repo), pr.base),
  ]);
  if (head) pr.head_sha = head;
  if (base) pr.base_sha = base;
  let size = pr.stats ?? { commits: 0, additions: 0, deletions: 0, changed_files: 0 };
  if (stats && pr.state === 'open') size = await git.compare(state.gitDir(repo), pr.base_sha, pr.head_sha);
  return { headSha: pr.head_sha ?? ZERO, baseSha: pr.base_sha ?? ZERO, ...size };
}

/** A pull request as GitHub shows it: `full` or `simple`. */
export async function renderPull(ctx, repo, pr, kind) {
  const { state } = ctx;
  const now = await live(ctx, repo, pr, kind === 'full');
  return ctx.objects.pull(state.view(repo), pr, now, kind, {
    teams: pr.requested_teams.map((slug) => state.team(repo.owner, slug)),
    headRepo: state.view(state.headRepo(repo, pr)),
    labels: state.labelsOf(repo, pr),
  });
}

/** Sorts in place by `key`, ascending or descending. */
function sortBy(items, key, direction) {
  items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (direction === 'desc') items.reverse();
  return items;
}

export const handlers = {
  /** GET /orgs/{org}/repos */
  async 'repos/list-for-org'(ctx) {
    const { state, query, params } = ctx;
    if (!state.isOrg(params.org)) return notFound(ctx);
    const type = query.type ?? 'all';
    const repos = state.reposOf(params.org).filter((r) => {
      if (type === 'public') return !r.private;
      if (type === 'private') return r.private;
      if (type === 'forks') return r.fork;
      if (type === 'sources') return !r.fork;
      return true;
    });
    const sort = query.sort ?? 'created';
    const direction = query.direction ?? (sort === 'full_name' ? 'asc' : 'desc');
    sortBy(repos, sort === 'full_name' ? (r) => r.name.toLowerCase() : (r) => r.seq, direction);
    return ctx.page(repos, (r) => ctx.objects.repository(state.view(r), 'minimal'));
  },

  /** GET /repos/{owner}/{repo}/git/trees/{tree_sha} */
  async 'git/get-tree'(ctx) {
    const repo = repoOf(ctx);
    if (!repo) return notFound(ctx);
    const dir = ctx.state.gitDir(repo);
    if (!(await git.exists(dir))) {
      return { status: 404, body: errorBody(404, `Not Found (the fake has no bare repository at ${dir})`, ctx.docs) };
    }
    if (await git.isEmpty(dir)) return { status: 409, body: errorBody(409, 'Git Repository is empty.', ctx.docs) };
    const tree = await git.treeOf(dir, ctx.params.tree_sha);
    if (!tree) return notFound(ctx);
    const entries = await git.lsTree(dir, tree, ctx.query.recursive !== undefined);
    return { status: 200, body: ctx.objects.tree(repo, tree, entries) };
  },

  /** GET /repos/{owner}/{repo}/pulls */
  async 'pulls/list'(ctx) {
    const { state, query } = ctx;
    const repo = repoOf(ctx);
    if (!repo) return notFound(ctx);
    const want = query.state ?? 'open';
    let pulls = state.pulls(repo).filter((p) => want === 'all' || p.state === want);
    // GitHub filters by head only as OWNER:BRANCH; a bare branch name is ignored (a classic trap).
    if (typeof query.head === 'string' && query.head.includes(':')) {
      const [owner, ...rest] = query.head.split(':');
      const ref = rest.join(':');
      pulls = pulls.filter((p) => p.head_owner.toLowerCase() === owner.toLowerCase() && p.head === ref);
    }
    if (query.base !== undefined) pulls = pulls.filter((p) => p.base === query.base);
    const sort = query.sort ?? 'created';
    const direction = query.direction ?? (sort === 'created' ? 'desc' : 'asc');
    const key = { created: (p) => p.id, updated: (p) => p.updated_at, popularity: (p) => p.comments, 'long-running': (p) => p.id }[sort];
    sortBy(pulls, key, direction);
    return ctx.page(pulls, (p) => renderPull(ctx, repo, p, 'simple'));
  },

  /** POST /repos/{owner}/{repo}/pulls */
  async 'pulls/create'(ctx) {
    const { state, body } = ctx;
    const repo = repoOf(ctx);
    if (!repo) return notFound(ctx);
    if (repo.archived) return archived(ctx);
    if (body.issue !== undefined) {
      return invalid(ctx, [{ resource: 'PullRequest', code: 'custom', message: 'the fake does not turn issues into pull requests' }]);
    }
    if (!body.title) return invalid(ctx, [{ resource: 'PullRequest', code: 'missing_field', field: 'title' }]);
    const [headOwner, ref] = body.head.includes(':') ? body.head.split(/:(.*)/s) : [repo.owner, body.head];
    const headRepo = headOwner.toLowerCase() === repo.owner.toLowerCase() ? repo : state.repo(headOwner, repo.name);
    const [headSha, baseSha] = await Promise.all([
      headRepo ? git.branch(state.gitDir(headRepo), ref) : null,
      git.branch(state.gitDir(repo), body.base),
    ]);
    if (!baseSha) return invalid(ctx, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    if (!headSha) return invalid(ctx, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    const merged = headRepo === repo && (await git.isAncestor(state.gitDir(repo), headSha, baseSha));
    // No await from here on: the check and the insert see the same state.
    const label = `${headRepo.owner}:${ref}`;
    const open = state
      .pulls(repo)
      .find((p) => p.state === 'open' && p.head === ref && p.base === body.base && p.head_owner.toLowerCase() === headOwner.toLowerCase());
    if (open) {
      return invalid(ctx, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${label}.` }]);
    }
    if (merged) {
      return invalid(ctx, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${body.base} and ${ref}` }]);
    }
    const pr = state.addPull(repo, {
      title: body.title,
      body: body.body ?? null,
      head: ref,
      head_owner: headRepo.owner,
      base: body.base,
      draft: body.draft ?? false,
      maintainer_can_modify: body.maintainer_can_modify ?? false,
      head_sha: headSha,
      base_sha: baseSha,
    });
    const out = await renderPull(ctx, repo, pr, 'full');
    return { status: 201, body: out, headers: { Location: out.url } };
  },

  /** PATCH /repos/{owner}/{repo}/pulls/{pull_number} */
  async 'pulls/update'(ctx) {
    const { state, body, params } = ctx;
    const repo = repoOf(ctx);
    const pr = repo && state.pull(repo, params.pull_number);
    if (!pr) return notFound(ctx);
    if (repo.archived) return archived(ctx);
    const changes = body ?? {};
    if (changes.base !== undefined && !(await git.branch(state.gitDir(repo), changes.base))) {
      return invalid(ctx, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    }
    if (changes.state === 'open' && pr.state === 'closed') {
      if (pr.merged_at) {
        return invalid(ctx, [{ resource: 'PullRequest', code: 'custom', message: 'Cannot reopen a merged pull request.' }]);
      }
      const other = state.pulls(repo).find((p) => p !== pr && p.state === 'open' && p.head === pr.head && p.head_owner === pr.head_owner);
      if (other) {
        return invalid(ctx, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${pr.head_owner}:${pr.head}.` }]);
      }
    }
    if (changes.state === 'closed' && pr.state === 'open') {
      pr.stats = await git.compare(state.gitDir(repo), pr.base_sha, pr.head_sha);
    }
    for (const k of ['title', 'body', 'base', 'maintainer_can_modify']) {
      if (changes[k] !== undefined) pr[k] = changes[k];
    }
    if (changes.state !== undefined && changes.state !== pr.state) {
      pr.state = changes.state;
      pr.closed_at = changes.state === 'closed' ? stamp() : null;
      if (changes.state === 'open') pr.stats = null;
    }
    pr.updated_at = stamp();
    return { status: 200, body: await renderPull(ctx, repo, pr, 'full') };
  },

  /** POST /repos/{owner}/{repo}/issues/{issue_number}/labels */
  async 'issues/add-labels'(ctx) {
    const { state, body, params } = ctx;
    const repo = repoOf(ctx);
    const pr = repo && state.pull(repo, params.issue_number);
    if (!pr) return notFound(ctx);
    if (repo.archived) return archived(ctx);
    for (const item of body?.labels ?? []) {
      const label = state.label(repo, typeof item === 'string' ? item : item.name);
      if (!pr.labels.some((n) => n.toLowerCase() === label.name.toLowerCase())) pr.labels.push(label.name);
    }
    pr.updated_at = stamp();
    return { status: 200, body: state.labelsOf(repo, pr).map((l) => ctx.objects.label(repo, l)) };
  },

  /** POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers */
  async 'pulls/request-reviewers'(ctx) {
    const { state, body, params } = ctx;
    const repo = repoOf(ctx);
    const pr = repo && state.pull(repo, params.pull_number);
    if (!pr) return notFound(ctx);
    if (repo.archived) return archived(ctx);
    const teams = body?.team_reviewers ?? [];
    const users = body?.reviewers ?? [];
    if (teams.some((slug) => !state.team(repo.owner, slug))) {
      return invalid(
        ctx,
        undefined,
        `Reviews may only be requested from collaborators. One or more of the teams you specified is not a collaborator of the ${repo.owner}/${repo.name} repository.`,
      );
    }
    if (users.some((u) => u.toLowerCase() === pr.user.toLowerCase())) {
      return invalid(ctx, undefined, 'Review cannot be requested from pull request author.');
    }
    for (const slug of teams) {
      const team = state.team(repo.owner, slug);
      if (!pr.requested_teams.some((s) => s.toLowerCase() === team.slug.toLowerCase())) pr.requested_teams.push(team.slug);
    }
    for (const u of users) {
      if (!pr.requested_reviewers.some((x) => x.toLowerCase() === u.toLowerCase())) pr.requested_reviewers.push(u);
    }
    pr.updated_at = stamp();
    return { status: 201, body: await renderPull(ctx, repo, pr, 'simple') };
  },

  /** POST /repos/{owner}/{repo}/issues/{issue_number}/comments */
  async 'issues/create-comment'(ctx) {
    const { state, body, params } = ctx;
    const repo = repoOf(ctx);
    const pr = repo && state.pull(repo, params.issue_number);
    if (!pr) return notFound(ctx);
    if (repo.archived) return archived(ctx);
    const comment = state.addComment(repo, pr.number, body.body, state.user);
    pr.comments += 1;
    pr.updated_at = stamp();
    const out = ctx.objects.comment(repo, comment);
    return { status: 201, body: out, headers: { Location: out.url } };
  },

  /** GET /repos/{owner}/{repo}/commits/{ref}/check-runs */
  async 'checks/list-for-ref'(ctx) {
    const { state, query, params } = ctx;
    const repo = repoOf(ctx);
    if (!repo) return notFound(ctx);
    const dir = state.gitDir(repo);
    const sha = /^[0-9a-f]{40}$/.test(params.ref) ? params.ref : await git.commitOf(dir, params.ref);
    if (!sha) return { status: 422, body: errorBody(422, `No commit found for SHA: ${params.ref}`, ctx.docs) };
    let runs = state.checkRunsOf(repo, sha);
    if (query.check_name !== undefined) runs = runs.filter((r) => r.name === query.check_name);
    if (query.status !== undefined) runs = runs.filter((r) => r.status === query.status);
    if ((query.filter ?? 'latest') === 'latest') {
      runs = runs.filter((r) => !runs.some((o) => o.name === r.name && o.id > r.id));
    }
    sortBy(runs, (r) => r.id, 'desc');
    const open = state.pulls(repo).filter((p) => p.state === 'open');
    const heads = await Promise.all(open.map((p) => live(ctx, repo, p, false)));
    const pulls = open.map((pr, i) => ({ pr, ...heads[i] })).filter((p) => p.headSha === sha);
    const page = await ctx.page(runs, (r) => ctx.objects.checkRun(repo, r, pulls));
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  },

  /** GET /repos/{owner}/{repo} */
  async 'repos/get'(ctx) {
    const repo = repoOf(ctx);
    if (!repo) return notFound(ctx);
    return { status: 200, body: ctx.objects.repository(ctx.state.view(repo), 'full') };
  },
};
