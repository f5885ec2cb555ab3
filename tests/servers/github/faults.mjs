// Injected faults: rules the tests set through the control API, tried in order before the
// normal handling of every API request. A rule matches a method (or any) and a regex on the
// path, for `times` requests (or for ever); it waits `delay_ms`, then answers `status` with
// GitHub's error shape, or, without a status, lets the request through (a slow answer).

import { errorBody } from './objects.mjs';
import { SeedError } from './state.mjs';

/** GitHub's messages for the statuses faults are usually made of. */
const MESSAGES = {
  401: 'Bad credentials',
  403: 'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000 and timestamp 2026-12-06 00:00:00 UTC.',
  404: 'Not Found',
  422: 'Validation Failed',
  429: 'API rate limit exceeded for user ID 1.',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
  504: 'We couldn\u2019t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.',
};

const DOCS = {
  401: 'https://docs.github.com/rest',
  403: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
  429: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
};

const FIELDS = ['method', 'path_regex', 'status', 'headers', 'body', 'message', 'times', 'delay_ms', 'reset_in'];

/** The fault rules. */
export class Faults {
  constructor() {
    this.rules = [];
  }

  /** Adds a rule (see the module comment; `reset_in` makes it a primary rate limit). */
  add(rule) {
    const unknown = Object.keys(rule).filter((k) => !FIELDS.includes(k));
    if (unknown.length) throw new SeedError(`unknown fault field(s) ${unknown.join(', ')}; known: ${FIELDS.join(', ')}`);
    if (rule.status === undefined && rule.delay_ms === undefined) throw new SeedError('a fault needs a status or a delay_ms');
    let regex;
    try {
      regex = new RegExp(rule.path_regex ?? '');
    } catch (e) {
      throw new SeedError(`path_regex: ${e.message}`);
    }
    this.rules.push({ ...rule, regex, left: rule.times ?? Infinity, served: 0 });
  }

  clear() {
    this.rules = [];
  }

  /** The rule that takes this request (and counts it), or null. */
  take(method, path) {
    const rule = this.rules.find(
      (r) => r.left > 0 && (!r.method || r.method === '*' || r.method.toUpperCase() === method) && r.regex.test(path),
    );
    if (!rule) return null;
    rule.left -= 1;
    rule.served += 1;
    return rule;
  }

  /** The answer of a rule that has a status: `{status, headers, body}`. */
  static answer(rule, rate) {
    const headers = {};
    if (rule.reset_in !== undefined) {
      headers['X-RateLimit-Remaining'] = '0';
      headers['X-RateLimit-Used'] = String(rate.limit);
      headers['X-RateLimit-Reset'] = String(Math.floor(Date.now() / 1000) + rule.reset_in);
    }
    Object.assign(headers, rule.headers ?? {});
    const body =
      rule.body !== undefined
        ? rule.body
        : errorBody(rule.status, rule.message ?? MESSAGES[rule.status] ?? 'Error', DOCS[rule.status]);
    return { status: rule.status, headers, body };
  }

  /** What the control API shows of the rules. */
  list() {
    return this.rules.map(({ regex, left, ...r }) => ({ ...r, left: left === Infinity ? null : left }));
  }
}
