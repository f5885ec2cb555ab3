#!/usr/bin/env node
// A local GitHub REST API for the tests: the endpoints pave calls, with state, checking every
// request it receives and every response it gives against GitHub's OpenAPI description
// (@octokit/openapi, installed in tests/validators by scripts/setup-validators). See README.md.
//
//   node server.mjs --port-file F --git-root DIR --token T [--max-per-page N] [--state FILE]
//                   [--git-url URL] [--user LOGIN] [--port N]
//
// Listens on 127.0.0.1 (port 0 unless --port), and writes the port to --port-file once the
// description is loaded. Repository OWNER/NAME is the bare repository DIR/OWNER/NAME.git; its
// clone_url is URL/OWNER/NAME.git (--git-url, default file://DIR).

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

import { Contract } from './contract.mjs';
import { control, seed } from './control.mjs';
import { Faults } from './faults.mjs';
import { handlers } from './handlers.mjs';
import { Objects, errorBody } from './objects.mjs';
import { State } from './state.mjs';

const API_VERSION = '2022-11-28';
const RATE_LIMIT = 5000;

/** Request headers GitHub wants (or pave promised to send): problems, if any. */
function headerProblems(headers) {
  const problems = [];
  if (!headers['user-agent']) problems.push('no User-Agent header (GitHub refuses such requests with 403)');
  const accept = headers.accept ?? '';
  if (!/application\/vnd\.github(\.[a-z0-9-]+)?\+json/.test(accept)) {
    problems.push(`Accept: ${accept || '(none)'}; GitHub's REST API wants application/vnd.github+json`);
  }
  const version = headers['x-github-api-version'];
  if (version !== API_VERSION) {
    problems.push(`X-GitHub-Api-Version: ${version ?? '(none)'}; pave pins ${API_VERSION}`);
  }
  return problems;
}

/** The token of an Authorization header (`Bearer T` or `token T`), or null. */
function tokenOf(header) {
  const m = /^(?:Bearer|token)\s+(\S+)$/i.exec(header ?? '');
  return m ? m[1] : null;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The fake GitHub: state, faults, the log of requests and the violations found. */
class Server {
  constructor(opts, contract) {
    this.opts = opts;
    this.contract = contract;
    this.state = new State({ gitRoot: opts.gitRoot, user: opts.user });
    this.faults = new Faults();
    this.log = [];
    this.violations = [];
    this.seq = 0;
    this.used = 0;
    this.reset = Math.floor(Date.now() / 1000) + 3600;
  }

  /** Once the port is known. */
  listening(port, scheme = 'http') {
    this.api = `${scheme}://127.0.0.1:${port}`;
    this.objects = new Objects(this.contract, { api: this.api, gitUrl: this.opts.gitUrl });
  }

  /** What handlers see of the server. */
  context(extra = {}) {
    return { state: this.state, objects: this.objects, ...extra };
  }

  violation(kind, entry, problems) {
    const v = { seq: entry.seq, kind, method: entry.method, path: entry.path, query: entry.query, operation: entry.operation, problems };
    this.violations.push(v);
    process.stderr.write(`VIOLATION ${kind} ${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ''}\n  ${problems.join('\n  ')}\n`);
  }

  rateHeaders() {
    return {
      'X-RateLimit-Limit': String(RATE_LIMIT),
      'X-RateLimit-Remaining': String(Math.max(0, RATE_LIMIT - this.used)),
      'X-RateLimit-Reset': String(this.reset),
      'X-RateLimit-Used': String(this.used),
      'X-RateLimit-Resource': 'core',
    };
  }

  /** One page of `items` (each made by `map`), with GitHub's Link header. */
  async page(url, query, items, map) {
    const asked = Number.isInteger(query.per_page) && query.per_page > 0 ? query.per_page : 30;
    const per = Math.max(1, Math.min(asked, 100, this.opts.maxPerPage));
    const page = Number.isInteger(query.page) && query.page > 0 ? query.page : 1;
    const last = Math.max(1, Math.ceil(items.length / per));
    const body = await Promise.all(items.slice((page - 1) * per, page * per).map(map));
    const link = (n, rel) => {
      const params = new URLSearchParams(url.searchParams);
      params.set('page', String(n));
      return `<${this.api}${url.pathname}?${params}>; rel="${rel}"`;
    };
    const links = [];
    if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return { status: 200, body, headers: links.length ? { Link: links.join(', ') } : {} };
  }

  send(res, entry, { status, headers = {}, body }) {
    const text = body === undefined ? '' : JSON.stringify(body);
    entry.status = status;
    entry.duration_ms = Date.now() - entry.timestamp;
    entry.client_gone = res.destroyed || res.socket?.destroyed === true;
    if (entry.client_gone) return;
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'X-GitHub-Media-Type': 'github.v3; format=json',
      'X-GitHub-Api-Version-Selected': API_VERSION,
      'X-GitHub-Request-Id': `FAKE:${entry.seq}`,
      ...headers,
    });
    res.end(text);
  }

  /** Checks an answer against the operation, recording what is wrong as `kind`. */
  checked(match, entry, answer, kind) {
    const body = answer.body === undefined ? undefined : JSON.parse(JSON.stringify(answer.body));
    const problems = this.contract.checkResponse(match, answer.status, body);
    if (problems.length) this.violation(kind, entry, problems);
    return answer;
  }

  async handle(req, res) {
    const raw = await readBody(req);
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/__control/')) {
      let body;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
      } catch (e) {
        body = undefined;
        const text = JSON.stringify({ error: `control body is not JSON: ${e.message}` });
        res.writeHead(400, { 'Content-Type': 'application/json' }).end(text);
        return;
      }
      const out = await control(this, req.method, url.pathname.slice('/__control/'.length), url.searchParams, body);
      res.writeHead(out.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(out.body));
      return;
    }
    const entry = {
      seq: ++this.seq,
      method: req.method,
      path: url.pathname,
      query: url.search.slice(1),
      status: 0,
      injected: false,
      operation: null,
      repo: null,
      timestamp: Date.now(),
    };
    this.log.push(entry);
    const rate = this.rateHeaders();
    const match = this.contract.match(req.method, url.pathname);
    if (!match.ok) {
      this.violation('endpoint', entry, [match.reason]);
      this.send(res, entry, { status: 404, headers: rate, body: errorBody(404, 'Not Found') });
      return;
    }
    const id = match.op.operationId;
    entry.operation = id;
    const { owner, repo, org } = match.params;
    entry.repo = owner && repo ? `${owner}/${repo}` : (org ?? null);
    const docs = match.op.externalDocs?.url ?? 'https://docs.github.com/rest';
    const request = this.contract.checkRequest(match, url.searchParams, req.headers['content-type'], raw);
    const problems = [...headerProblems(req.headers), ...request.problems];
    if (problems.length) {
      this.violation('request', entry, problems);
      this.send(res, entry, { status: 422, headers: rate, body: errorBody(422, `Invalid request.\n\n${problems.join('\n')}`, docs) });
      return;
    }
    const handler = handlers[id];
    if (!handler) {
      this.violation('endpoint', entry, [`pave called an endpoint the fake does not implement: ${req.method} ${match.template} (${id})`]);
      this.send(res, entry, { status: 404, headers: rate, body: errorBody(404, 'Not Found', docs) });
      return;
    }
    const authorized = tokenOf(req.headers.authorization) === this.opts.token;
    if (authorized) this.used += 1;
    const fault = this.faults.take(req.method, url.pathname);
    if (fault) {
      entry.fault = this.faults.rules.indexOf(fault);
      if (fault.delay_ms) await sleep(fault.delay_ms);
      if (fault.status !== undefined) {
        entry.injected = true;
        const answer = Faults.answer(fault, { limit: RATE_LIMIT });
        this.checked(match, entry, answer, 'fault');
        this.send(res, entry, { ...answer, headers: { ...this.rateHeaders(), ...answer.headers } });
        return;
      }
    }
    if (!authorized) {
      const message = req.headers.authorization ? 'Bad credentials' : 'Requires authentication';
      const answer = this.checked(match, entry, { status: 401, body: errorBody(401, message, 'https://docs.github.com/rest') }, 'response');
      this.send(res, entry, { ...answer, headers: rate });
      return;
    }
    const ctx = this.context({
      params: Object.fromEntries(Object.entries(match.params).map(([k, v]) => [k, /_number$/.test(k) ? Number(v) : v])),
      query: request.query,
      body: request.body,
      docs,
      page: (items, map) => this.page(url, request.query, items, map),
    });
    let answer;
    try {
      answer = await handler(ctx);
    } catch (e) {
      this.violation('fake', entry, [`the fake failed: ${e.stack}`]);
      answer = { status: 500, body: errorBody(500, 'Server Error') };
    }
    this.checked(match, entry, answer, 'response');
    this.send(res, entry, { ...answer, headers: { ...this.rateHeaders(), ...answer.headers } });
  }
}

function options() {
  const { values } = parseArgs({
    options: {
      'port-file': { type: 'string' },
      'git-root': { type: 'string' },
      token: { type: 'string' },
      'max-per-page': { type: 'string', default: '100' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      state: { type: 'string' },
      'git-url': { type: 'string' },
      user: { type: 'string', default: 'pave-bot' },
      port: { type: 'string', default: '0' },
    },
    strict: true,
  });
  for (const k of ['port-file', 'git-root', 'token']) {
    if (!values[k]) throw new Error(`--${k} is required`);
  }
  const gitRoot = path.resolve(values['git-root']);
  return {
    portFile: values['port-file'],
    gitRoot,
    token: values.token,
    maxPerPage: Number(values['max-per-page']),
    state: values.state,
    gitUrl: (values['git-url'] ?? `file://${gitRoot}`).replace(/\/+$/, ''),
    user: values.user,
    port: Number(values.port),
    tls: values['tls-cert'] && values['tls-key']
      ? { cert: fs.readFileSync(values['tls-cert']), key: fs.readFileSync(values['tls-key']) }
      : null,
  };
}

async function main() {
  const started = performance.now();
  const opts = options();
  const contract = new Contract();
  const loaded = performance.now();
  const server = new Server(opts, contract);
  const handle = (req, res) => {
    server.handle(req, res).catch((e) => {
      process.stderr.write(`${e.stack}\n`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `the fake failed: ${e.message}` }));
    });
  };
  // --tls-cert/--tls-key: https, for the tests of pave's certificate checks.
  const listener = opts.tls ? https.createServer(opts.tls, handle) : http.createServer(handle);
  listener.keepAliveTimeout = 30_000;
  await new Promise((resolve) => listener.listen(opts.port, '127.0.0.1', resolve));
  const { port } = listener.address();
  server.listening(port, opts.tls ? 'https' : 'http');
  if (opts.state) await seed(server, JSON.parse(fs.readFileSync(opts.state, 'utf8')));
  const ms = (t) => `${Math.round(t)} ms`;
  // Said before the port file appears: a test that reads stderr once the port is there sees it
  // (stderr is a file, written synchronously).
  process.stderr.write(`github fake on ${server.api}: description loaded in ${ms(loaded - started)}, ready in ${ms(performance.now() - started)}\n`);
  const tmp = `${opts.portFile}.tmp`;
  fs.writeFileSync(tmp, `${port}\n`);
  fs.renameSync(tmp, opts.portFile);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(2);
});
