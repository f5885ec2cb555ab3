// GitHub's REST API contract: the OpenAPI description of @octokit/openapi, its routes, and the
// checks of every request and response against it (ajv, compiled lazily per operation).

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** tests/validators, the npm project the description and ajv are installed into. */
export const VALIDATORS = fileURLToPath(new URL('../../validators/', import.meta.url));
const require = createRequire(`${VALIDATORS}package.json`);
export const SPEC_FILE = `${VALIDATORS}node_modules/@octokit/openapi/generated/api.github.com.json`;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Statuses GitHub may answer any operation with although most operations do not declare them
 * (bad credentials, rate limits, a resource that is not there or not visible, server errors).
 * When the operation does not declare one, its body must still be GitHub's error shape.
 */
export const GLOBAL_STATUSES = new Set([401, 403, 404, 429, 500, 502, 503, 504]);

/**
 * Answers GitHub really gives that the description leaves out, per operation: the fake gives
 * them too, and checks them against the schema named here.
 */
const UNDECLARED = {
  // "No commit found for SHA: REF" for a ref that names nothing.
  'checks/list-for-ref': { 422: 'basic-error' },
};

/** A JSON pointer into the description. */
function pointer(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .reduce((node, part) => node?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
}

/** A deep copy of a schema whose `#/components/...` refs point into the document `gh`. */
function rebased(schema) {
  return JSON.parse(JSON.stringify(schema), (key, value) =>
    key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `gh${value}` : value,
  );
}

/**
 * A request body schema made strict: every inline object that lists its properties and says
 * nothing of others refuses others. GitHub ignores an unknown field, but here it is a typo that
 * would silently do nothing (`"heads"`, `"team_reviewer"`), so it is a violation.
 */
function closed(schema, inAllOf = false) {
  if (Array.isArray(schema)) return schema.map((s) => closed(s, inAllOf));
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'allOf') out[k] = v.map((s) => closed(s, true));
    else if (['properties', 'patternProperties', 'definitions'].includes(k))
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, closed(s)]));
    else if (['items', 'oneOf', 'anyOf', 'not', 'additionalProperties'].includes(k)) out[k] = closed(v);
    else out[k] = v;
  }
  if (!inAllOf && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/**
 * OpenAPI 3.0 lets `nullable: true` admit null next to an `enum` that does not list it; JSON
 * Schema (and ajv) would refuse null there. Adds null to those enums, in place.
 */
function nullableEnums(node) {
  if (Array.isArray(node)) {
    for (const n of node) nullableEnums(n);
  } else if (node && typeof node === 'object') {
    if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) node.enum.push(null);
    for (const v of Object.values(node)) nullableEnums(v);
  }
}

/** How ajv's errors read in a violation. */
export function describe(errors) {
  return (errors ?? []).slice(0, 20).map((e) => {
    const where = e.instancePath || '(root)';
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${e.params.additionalProperty})`
        : e.keyword === 'enum'
          ? ` (${JSON.stringify(e.params.allowedValues)})`
          : '';
    return `${where} ${e.message}${extra}`;
  });
}

/** One route of the description: a path template with its regex and its operations. */
class Route {
  constructor(template, item, spec) {
    this.template = template;
    this.item = item;
    const multi = new Set();
    for (const m of METHODS) {
      for (const p of [...(item.parameters ?? []), ...(item[m]?.parameters ?? [])]) {
        const param = p.$ref ? pointer(spec, p.$ref) : p;
        if (param?.in === 'path' && param['x-multi-segment']) multi.add(param.name);
      }
    }
    this.names = [];
    const source = template.replace(/\{([^}]+)\}|[^{]+/g, (whole, name) => {
      if (!name) return whole.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      this.names.push(name);
      return multi.has(name) ? '(.+?)' : '([^/]+)';
    });
    this.regex = new RegExp(`^${source}$`);
    const literal = template.split('/').filter((s) => s && !s.startsWith('{'));
    // More literal segments first, then fewer multi-segment parameters.
    this.rank = literal.length * 10 - multi.size;
  }
}

/** The description, its routes and its validators. */
export class Contract {
  /** Loads and prepares the description (about 0.3 s for its 13 MB). */
  constructor(file = SPEC_FILE) {
    const Ajv = require('ajv').default;
    const addFormats = require('ajv-formats').default;
    this.spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    nullableEnums(this.spec.components);
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(this.ajv);
    // Formats of the description that JSON Schema does not define.
    this.ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
    this.ajv.addFormat('timestamp', { type: 'number', validate: (n) => Number.isInteger(n) });
    this.ajv.addSchema({ components: this.spec.components }, 'gh', undefined, false);
    this.routes = Object.entries(this.spec.paths)
      .map(([t, item]) => new Route(t, item, this.spec))
      .sort((a, b) => b.rank - a.rank);
    this.cache = new Map();
  }

  /** A component (`schemas`, `examples`, `parameters`, ...) by name. */
  component(kind, name) {
    const found = this.spec.components[kind]?.[name];
    if (!found) throw new Error(`no components/${kind}/${name} in the description`);
    return found;
  }

  /** A deep copy of the value of `components/examples/NAME`. */
  example(name) {
    return structuredClone(this.component('examples', name).value);
  }

  /** `$ref` resolved (once; the description has no chains that matter here). */
  resolve(node) {
    return node?.$ref ? pointer(this.spec, node.$ref) : node;
  }

  /** A validator for `schema`, compiled on first use and kept under `key`. */
  validator(key, schema) {
    let v = this.cache.get(key);
    if (!v) {
      v = this.ajv.compile(rebased(schema));
      this.cache.set(key, v);
    }
    return v;
  }

  /**
   * The operation `METHOD PATH` calls: `{ok: true, template, method, op, params}`, or
   * `{ok: false, reason}` when no path of the API has that shape or none of the paths it
   * matches takes that method.
   */
  match(method, path) {
    const m = method.toLowerCase();
    const hits = [];
    for (const route of this.routes) {
      const found = route.regex.exec(path);
      if (found) hits.push([route, found]);
    }
    if (hits.length === 0) return { ok: false, reason: `no path of GitHub's API has the shape ${path}` };
    const hit = hits.find(([route]) => route.item[m]);
    if (!hit) {
      const allowed = [...new Set(hits.flatMap(([r]) => METHODS.filter((x) => r.item[x])))].map((x) => x.toUpperCase());
      return {
        ok: false,
        reason: `${hits[0][0].template} takes ${allowed.join(', ')}, not ${method.toUpperCase()}`,
      };
    }
    const [route, found] = hit;
    const params = {};
    route.names.forEach((name, i) => {
      try {
        params[name] = decodeURIComponent(found[i + 1]);
      } catch {
        params[name] = found[i + 1];
      }
    });
    return { ok: true, template: route.template, method: m, op: route.item[m], item: route.item, params };
  }

  /** The parameters of an operation (path-level ones included), resolved. */
  parameters(match) {
    const all = [...(match.item.parameters ?? []), ...(match.op.parameters ?? [])].map((p) => this.resolve(p));
    const byKey = new Map(all.map((p) => [`${p.in}:${p.name}`, p]));
    return [...byKey.values()];
  }

  /** A query or path value as the type its schema wants (the validator then judges it). */
  static coerce(raw, schema) {
    const type = schema?.type;
    if (type === 'integer' && /^-?\d+$/.test(raw)) return Number(raw);
    if (type === 'number' && raw !== '' && Number.isFinite(Number(raw))) return Number(raw);
    if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
    if (type === 'array') return raw.split(',');
    return raw;
  }

  /**
   * Checks a request's path parameters, query and body against the operation. Returns
   * `{problems, query, body}`: the problems (strings), the query with typed values, the parsed
   * body.
   */
  checkRequest(match, search, contentType, rawBody) {
    const id = match.op.operationId;
    const problems = [];
    const params = this.parameters(match);
    const typed = {};
    for (const p of params.filter((x) => x.in === 'path')) {
      const value = Contract.coerce(match.params[p.name] ?? '', p.schema);
      const v = this.validator(`${id}|path|${p.name}`, p.schema ?? {});
      if (!v(value)) problems.push(...describe(v.errors).map((e) => `path parameter ${p.name}: ${e}`));
    }
    const known = new Map(params.filter((x) => x.in === 'query').map((p) => [p.name, p]));
    const seen = new Set();
    for (const [name, raw] of search) {
      const p = known.get(name);
      if (!p) {
        problems.push(`unknown query parameter ${name}=${raw} (${id} takes: ${[...known.keys()].join(', ') || 'none'})`);
        continue;
      }
      if (seen.has(name)) problems.push(`query parameter ${name} given twice`);
      seen.add(name);
      const value = Contract.coerce(raw, p.schema);
      const v = this.validator(`${id}|query|${name}`, p.schema ?? {});
      if (!v(value)) problems.push(...describe(v.errors).map((e) => `query parameter ${name}=${raw}: ${e}`));
      typed[name] = value;
    }
    for (const p of known.values()) {
      if (p.required && !seen.has(p.name)) problems.push(`required query parameter ${p.name} is missing`);
    }
    let body;
    const spec = this.resolve(match.op.requestBody);
    if (rawBody.length > 0) {
      if (!spec) {
        problems.push(`${id} takes no request body, got ${rawBody.length} bytes`);
      } else if (!/^application\/(vnd\.github(\.[a-z0-9-]+)?\+)?json\b/i.test(contentType ?? '')) {
        problems.push(`request body sent as ${contentType || 'no Content-Type'}, not application/json`);
      } else {
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch (e) {
          problems.push(`request body is not JSON: ${e.message}`);
        }
      }
    } else if (spec?.required) {
      problems.push(`${id} needs a request body`);
    }
    if (body !== undefined && spec) {
      const schema = spec.content?.['application/json']?.schema;
      if (schema) {
        const v = this.validator(`${id}|body`, closed(schema));
        if (!v(body)) problems.push(...describe(v.errors).map((e) => `request body: ${e}`));
      }
    }
    return { problems, query: typed, body };
  }

  /**
   * Checks a response against the operation: its status must be declared (or `default`, or one
   * of GLOBAL_STATUSES) and its JSON body must match the declared schema. Returns problems.
   */
  checkResponse(match, status, body) {
    const id = match.op.operationId;
    const declared = match.op.responses?.[String(status)] ?? match.op.responses?.default;
    let schema;
    if (declared) {
      const response = this.resolve(declared);
      const content = response.content;
      if (!content) {
        // Declared without a body: 204 and 304 have none; others (a 422 "if user is not a
        // collaborator") leave the body unspecified.
        return body !== undefined && (status === 204 || status === 304)
          ? [`${id} answers ${status} with no body, yet the fake sent one`]
          : [];
      }
      schema = content['application/json']?.schema ?? content[Object.keys(content)[0]]?.schema;
    } else if (UNDECLARED[id]?.[status]) {
      schema = { $ref: `#/components/schemas/${UNDECLARED[id][status]}` };
    } else if (GLOBAL_STATUSES.has(status)) {
      schema = { $ref: '#/components/schemas/basic-error' };
    } else {
      const listed = Object.keys(match.op.responses ?? {}).join(', ');
      return [`${id} does not answer ${status} (it declares ${listed})`];
    }
    if (!schema) return [];
    if (body === undefined) return [`${id} answers ${status} with a JSON body, none was sent`];
    const v = this.validator(`${id}|response|${declared ? status : `undeclared ${status}`}`, schema);
    return v(body) ? [] : describe(v.errors).map((e) => `response ${status} body: ${e}`);
  }
}
