// The objects the fake answers with, built from the description's own examples
// (components/examples) with the fields that matter replaced from the fake's state, so that
// every answer is as complete as GitHub's.

/** Where html_url points: the real site's shape, stable across test runs. */
export const WEB = 'https://github.com';

/** A timestamp the way GitHub writes them (no milliseconds). */
export function stamp(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Every string in `value` with each [from, to] replaced, in order. */
function rewrite(value, pairs) {
  return JSON.parse(JSON.stringify(value), (_k, v) =>
    typeof v === 'string' ? pairs.reduce((s, [from, to]) => s.replaceAll(from, to), v) : v,
  );
}

/** Only the keys a schema lists. */
function pick(object, schema) {
  return Object.fromEntries(Object.entries(object).filter(([k]) => k in schema.properties));
}

/** Builds response objects from templates. */
export class Objects {
  constructor(contract, { api, gitUrl }) {
    this.contract = contract;
    this.api = api;
    this.gitUrl = gitUrl;
    const pull = contract.example('pull-request');
    this.templates = {
      user: pull.user,
      pull,
      minimal: contract.example('minimal-repository-items')[0],
      full: contract.example('full-repository-default-response'),
      embedded: pull.head.repo,
      comment: contract.example('issue-comment'),
      checkRun: contract.example('check-run-paginated').check_runs[0],
    };
    this.simplePull = contract.component('schemas', 'pull-request-simple');
    this.ids = new Map();
  }

  /** A stable id for `key` of `kind` (users, teams, repos get ids of their own). */
  id(kind, key) {
    const k = `${kind}:${key.toLowerCase()}`;
    if (!this.ids.has(k)) this.ids.set(k, 1000 * (this.ids.size + 1) + 7);
    return this.ids.get(k);
  }

  /** A node_id in GitHub's old style ("04:User1" in base64). */
  static nodeId(type, id) {
    return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
  }

  /** A user or organization (`simple-user`). */
  user(login, type = 'User') {
    const id = this.id('user', login);
    const out = rewrite(this.templates.user, [
      ['https://api.github.com/users/octocat', `${this.api}/users/${login}`],
      ['https://github.com/octocat', `${WEB}/${login}`],
    ]);
    return {
      ...out,
      login,
      id,
      node_id: Objects.nodeId(type, id),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      type,
      site_admin: false,
    };
  }

  /** A repository: `minimal` (lists), `full` (GET /repos/o/r), `embedded` (a PR's head/base). */
  repository(repo, kind) {
    const full = `${repo.owner}/${repo.name}`;
    const out = rewrite(this.templates[kind], [
      ['octocat/Hello-World', full],
      ['https://api.github.com', this.api],
    ]);
    for (const k of ['parent', 'source', 'template_repository', 'organization', 'security_and_analysis', 'temp_clone_token', 'code_of_conduct', 'custom_properties']) {
      delete out[k];
    }
    const id = this.id('repo', full);
    Object.assign(out, {
      id,
      node_id: Objects.nodeId('Repository', id),
      name: repo.name,
      full_name: full,
      owner: this.user(repo.owner, repo.owner_type),
      private: repo.private,
      visibility: repo.private ? 'private' : 'public',
      description: repo.description,
      fork: repo.fork,
      archived: repo.archived,
      disabled: false,
      default_branch: repo.default_branch,
      topics: repo.topics,
      clone_url: repo.clone_url ?? `${this.gitUrl}/${full}.git`,
      git_url: `git://github.com/${full}.git`,
      ssh_url: `git@github.com:${full}.git`,
      svn_url: `${WEB}/${full}`,
      html_url: `${WEB}/${full}`,
      homepage: null,
      language: null,
      mirror_url: null,
      is_template: false,
      license: null,
      forks: 0,
      forks_count: 0,
      stargazers_count: 0,
      watchers: 0,
      watchers_count: 0,
      size: 0,
      open_issues: repo.open_issues,
      open_issues_count: repo.open_issues,
      created_at: repo.created_at,
      updated_at: repo.updated_at,
      pushed_at: repo.pushed_at,
      permissions: { admin: false, maintain: false, push: !repo.archived, triage: true, pull: true },
    });
    if (kind === 'full' && repo.owner_type === 'Organization') out.organization = this.user(repo.owner, 'Organization');
    return out;
  }

  /** A team (`team-simple`). */
  team(team) {
    const id = this.id('team', `${team.org}/${team.slug}`);
    const orgId = this.id('user', team.org);
    return {
      id,
      node_id: Objects.nodeId('Team', id),
      url: `${this.api}/organizations/${orgId}/team/${id}`,
      html_url: `${WEB}/orgs/${team.org}/teams/${team.slug}`,
      name: team.name,
      slug: team.slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'pull',
      members_url: `${this.api}/organizations/${orgId}/team/${id}/members{/member}`,
      repositories_url: `${this.api}/organizations/${orgId}/team/${id}/repos`,
      type: 'organization',
      organization_id: orgId,
      parent: null,
    };
  }

  /** A label (`label`). */
  label(repo, label) {
    return {
      id: label.id,
      node_id: Objects.nodeId('Label', label.id),
      url: `${this.api}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      description: label.description,
      color: label.color,
      default: false,
    };
  }

  /**
   * A pull request: `full` (`pull-request`) or `simple` (`pull-request-simple`, the lists).
   * `live` holds what git says now: {headSha, baseSha, commits, additions, deletions,
   * changed_files}.
   */
  pull(repo, pr, live, kind, { teams, headRepo, labels }) {
    const full = `${repo.owner}/${repo.name}`;
    const n = String(pr.number);
    const out = rewrite(this.templates.pull, [
      ['octocat/Hello-World', full],
      ['https://api.github.com', this.api],
      ['/pulls/1347', `/pulls/${n}`],
      ['/pull/1347', `/pull/${n}`],
      ['/issues/1347', `/issues/${n}`],
      ['6dcb09b5b57875f334f61aebed695e2e4193db5e', live.headSha],
    ]);
    const merged = pr.merged_at !== null;
    Object.assign(out, {
      id: pr.id,
      node_id: Objects.nodeId('PullRequest', pr.id),
      number: pr.number,
      state: pr.state,
      locked: false,
      active_lock_reason: null,
      title: pr.title,
      body: pr.body,
      user: this.user(pr.user),
      labels: labels.map((l) => this.label(repo, l)),
      milestone: null,
      assignee: null,
      assignees: [],
      requested_reviewers: pr.requested_reviewers.map((u) => this.user(u)),
      requested_teams: teams.map((t) => this.team(t)),
      created_at: pr.created_at,
      updated_at: pr.updated_at,
      closed_at: pr.closed_at,
      merged_at: pr.merged_at,
      merge_commit_sha: pr.merge_commit_sha,
      draft: pr.draft,
      author_association: pr.user === repo.owner ? 'OWNER' : 'MEMBER',
      auto_merge: null,
      head: {
        label: `${headRepo.owner}:${pr.head}`,
        ref: pr.head,
        sha: live.headSha,
        user: this.user(headRepo.owner, headRepo.owner_type),
        repo: this.repository(headRepo, 'embedded'),
      },
      base: {
        label: `${repo.owner}:${pr.base}`,
        ref: pr.base,
        sha: live.baseSha,
        user: this.user(repo.owner, repo.owner_type),
        repo: this.repository(repo, 'embedded'),
      },
      merged,
      mergeable: merged || pr.state === 'closed' ? null : true,
      rebaseable: merged || pr.state === 'closed' ? null : true,
      mergeable_state: merged || pr.state === 'closed' ? 'unknown' : 'clean',
      merged_by: merged ? this.user(pr.merged_by) : null,
      comments: pr.comments,
      review_comments: 0,
      maintainer_can_modify: pr.maintainer_can_modify,
      commits: live.commits,
      additions: live.additions,
      deletions: live.deletions,
      changed_files: live.changed_files,
    });
    if (kind === 'full') return out;
    // pull-request-simple declares a label's description a string (not nullable, unlike
    // everywhere else), so a label without one shows "" here.
    const simple = pick(out, this.simplePull);
    simple.labels = simple.labels.map((l) => ({ ...l, description: l.description ?? '' }));
    return simple;
  }

  /** An issue comment (`issue-comment`). */
  comment(repo, c) {
    const full = `${repo.owner}/${repo.name}`;
    const out = rewrite(this.templates.comment, [
      ['octocat/Hello-World', full],
      ['https://api.github.com', this.api],
    ]);
    return {
      ...out,
      id: c.id,
      node_id: Objects.nodeId('IssueComment', c.id),
      url: `${this.api}/repos/${full}/issues/comments/${c.id}`,
      html_url: `${WEB}/${full}/pull/${c.issue_number}#issuecomment-${c.id}`,
      issue_url: `${this.api}/repos/${full}/issues/${c.issue_number}`,
      body: c.body,
      user: this.user(c.user),
      created_at: c.created_at,
      updated_at: c.created_at,
      author_association: 'MEMBER',
    };
  }

  /** A check run (`check-run`); `pulls` are the open pull requests whose head is its commit. */
  checkRun(repo, run, pulls) {
    const full = `${repo.owner}/${repo.name}`;
    const out = rewrite(this.templates.checkRun, [
      ['github/hello-world', full],
      ['https://api.github.com', this.api],
    ]);
    const done = run.status === 'completed';
    const embedded = { id: this.id('repo', full), url: `${this.api}/repos/${full}`, name: repo.name };
    return {
      ...out,
      id: run.id,
      node_id: Objects.nodeId('CheckRun', run.id),
      head_sha: run.head_sha,
      external_id: '',
      url: `${this.api}/repos/${full}/check-runs/${run.id}`,
      html_url: `${WEB}/${full}/runs/${run.id}`,
      details_url: `${WEB}/${full}/runs/${run.id}`,
      status: run.status,
      conclusion: done ? run.conclusion : null,
      started_at: run.started_at,
      completed_at: done ? run.completed_at : null,
      output: {
        title: run.title,
        summary: run.summary,
        text: null,
        annotations_count: 0,
        annotations_url: `${this.api}/repos/${full}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.id + 100000 },
      pull_requests: pulls.map((p) => ({
        url: `${this.api}/repos/${full}/pulls/${p.pr.number}`,
        id: p.pr.id,
        number: p.pr.number,
        head: { ref: p.pr.head, sha: p.headSha, repo: embedded },
        base: { ref: p.pr.base, sha: p.baseSha, repo: embedded },
      })),
    };
  }

  /** A tree (`git-tree`) from `git ls-tree -r -t -l` entries. */
  tree(repo, sha, entries) {
    const base = `${this.api}/repos/${repo.owner}/${repo.name}/git`;
    return {
      sha,
      url: `${base}/trees/${sha}`,
      tree: entries.map((e) => {
        const entry = { path: e.path, mode: e.mode, type: e.type, sha: e.sha };
        if (e.type === 'blob') Object.assign(entry, { size: e.size, url: `${base}/blobs/${e.sha}` });
        if (e.type === 'tree') entry.url = `${base}/trees/${e.sha}`;
        return entry;
      }),
      truncated: false,
    };
  }
}

/** GitHub's error body: `{message, documentation_url, status}` (+ `errors` for 422). */
export function errorBody(status, message, docs = 'https://docs.github.com/rest', errors) {
  const body = { message, documentation_url: docs, status: String(status) };
  if (errors) body.errors = errors;
  return body;
}
