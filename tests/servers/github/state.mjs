// What the fake GitHub holds: repositories (standing for bare repositories on disk), teams,
// pull requests with their labels, reviewers and comments, check runs. Names are matched without
// regard to case, as GitHub does.

import path from 'node:path';
import { stamp } from './objects.mjs';

/** A seed was wrong: the control API answers 400 with this message. */
export class SeedError extends Error {}

function need(seed, field) {
  const v = seed?.[field];
  if (v === undefined || v === null || v === '') throw new SeedError(`${field} is required: ${JSON.stringify(seed)}`);
  return v;
}

function only(seed, fields) {
  const unknown = Object.keys(seed ?? {}).filter((k) => !fields.includes(k));
  if (unknown.length) throw new SeedError(`unknown field(s) ${unknown.join(', ')}; known: ${fields.join(', ')}`);
}

/** The fake's state. */
export class State {
  constructor({ gitRoot, user }) {
    this.gitRoot = gitRoot;
    /** The login the token belongs to: the author of the pull requests pave opens. */
    this.user = user;
    this.repos = new Map();
    this.teams = new Map();
    this.orgs = new Set();
    this.pullsByRepo = new Map();
    this.comments = [];
    this.checkRuns = [];
    this.counter = 100;
  }

  /** A fresh id (ids of all kinds come from one counter, as unique as GitHub's). */
  nextId() {
    this.counter += 1;
    return this.counter;
  }

  static key(owner, name) {
    return `${owner}/${name}`.toLowerCase();
  }

  /** The repository `owner/name`, or undefined. */
  repo(owner, name) {
    return this.repos.get(State.key(owner, name));
  }

  /** The repository with its open-issue count, the way the objects want it. */
  view(repo) {
    const open = this.pulls(repo).filter((p) => p.state === 'open').length;
    return { ...repo, open_issues: open };
  }

  /** The bare repository on disk: `--git-root/OWNER/NAME.git` unless the seed said `git_dir`. */
  gitDir(repo) {
    return path.resolve(this.gitRoot, repo.git_dir ?? `${repo.owner}/${repo.name}.git`);
  }

  /** Adds (or replaces) a repository. */
  addRepo(seed) {
    only(seed, ['owner', 'name', 'owner_type', 'private', 'archived', 'fork', 'topics', 'default_branch', 'description', 'clone_url', 'git_dir']);
    const now = stamp();
    const repo = {
      owner: need(seed, 'owner'),
      name: need(seed, 'name'),
      owner_type: seed.owner_type ?? 'Organization',
      private: seed.private ?? false,
      archived: seed.archived ?? false,
      fork: seed.fork ?? false,
      topics: seed.topics ?? [],
      default_branch: seed.default_branch ?? 'main',
      description: seed.description ?? null,
      clone_url: seed.clone_url,
      git_dir: seed.git_dir,
      created_at: now,
      updated_at: now,
      pushed_at: now,
      seq: this.repos.size,
      next_number: 1,
      labels: new Map(),
    };
    this.repos.set(State.key(repo.owner, repo.name), repo);
    if (repo.owner_type === 'Organization') this.orgs.add(repo.owner.toLowerCase());
    return repo;
  }

  /** Adds a team of an organization (the teams reviews can be requested from). */
  addTeam(seed) {
    only(seed, ['org', 'slug', 'name']);
    const team = { org: need(seed, 'org'), slug: need(seed, 'slug'), name: seed.name ?? seed.slug };
    this.teams.set(`${team.org}/${team.slug}`.toLowerCase(), team);
    this.orgs.add(team.org.toLowerCase());
    return team;
  }

  team(org, slug) {
    return this.teams.get(`${org}/${slug}`.toLowerCase());
  }

  /** Whether `org` is an organization the fake knows (one of its repositories or teams). */
  isOrg(org) {
    return this.orgs.has(org.toLowerCase());
  }

  /** The repositories of an owner, in the order they were added. */
  reposOf(owner) {
    return [...this.repos.values()].filter((r) => r.owner.toLowerCase() === owner.toLowerCase());
  }

  /** The pull requests of a repository (a live array). */
  pulls(repo) {
    const k = State.key(repo.owner, repo.name);
    if (!this.pullsByRepo.has(k)) this.pullsByRepo.set(k, []);
    return this.pullsByRepo.get(k);
  }

  pull(repo, number) {
    return this.pulls(repo).find((p) => p.number === number);
  }

  /** The repository a pull request's head is in (a fork's, or the base's). */
  headRepo(repo, pr) {
    return pr.head_owner.toLowerCase() === repo.owner.toLowerCase()
      ? repo
      : (this.repo(pr.head_owner, repo.name) ?? { ...repo, owner: pr.head_owner, owner_type: 'User' });
  }

  /** Adds a pull request; `head_sha`/`base_sha` are what git said when it was made. */
  addPull(repo, seed) {
    const now = seed.created_at ?? stamp();
    const pr = {
      id: this.nextId(),
      number: repo.next_number++,
      title: seed.title ?? `Update ${seed.head}`,
      body: seed.body ?? null,
      state: seed.state ?? 'open',
      draft: seed.draft ?? false,
      user: seed.user ?? this.user,
      head: seed.head,
      head_owner: seed.head_owner ?? repo.owner,
      base: seed.base ?? repo.default_branch,
      head_sha: seed.head_sha,
      base_sha: seed.base_sha,
      labels: [],
      requested_reviewers: [],
      requested_teams: [],
      created_at: now,
      updated_at: now,
      closed_at: seed.state === 'closed' ? now : null,
      merged_at: null,
      merge_commit_sha: null,
      merged_by: null,
      maintainer_can_modify: seed.maintainer_can_modify ?? false,
      comments: 0,
      stats: null,
    };
    this.pulls(repo).push(pr);
    return pr;
  }

  /** The label `name` of a repository, made (grey, no description) when it is new. */
  label(repo, name) {
    const k = name.toLowerCase();
    if (!repo.labels.has(k)) repo.labels.set(k, { id: this.nextId(), name, color: 'ededed', description: null });
    return repo.labels.get(k);
  }

  /** The labels of a pull request, as label records. */
  labelsOf(repo, pr) {
    return pr.labels.map((n) => this.label(repo, n));
  }

  addComment(repo, number, body, user) {
    const c = { id: this.nextId(), owner: repo.owner, repo: repo.name, issue_number: number, body, user, created_at: stamp() };
    this.comments.push(c);
    return c;
  }

  commentsOf(repo, number) {
    return this.comments.filter(
      (c) => State.key(c.owner, c.repo) === State.key(repo.owner, repo.name) && (number === undefined || c.issue_number === number),
    );
  }

  /** Adds a check run on commit `head_sha`. */
  addCheckRun(repo, seed) {
    const now = stamp();
    const status = seed.status ?? 'completed';
    const run = {
      id: this.nextId(),
      owner: repo.owner,
      repo: repo.name,
      head_sha: seed.head_sha,
      name: seed.name,
      status,
      conclusion: status === 'completed' ? (seed.conclusion ?? 'success') : null,
      started_at: now,
      completed_at: status === 'completed' ? now : null,
      title: seed.title ?? null,
      summary: seed.summary ?? null,
    };
    this.checkRuns.push(run);
    return run;
  }

  checkRunsOf(repo, sha) {
    return this.checkRuns.filter(
      (r) => State.key(r.owner, r.repo) === State.key(repo.owner, repo.name) && r.head_sha === sha,
    );
  }
}
