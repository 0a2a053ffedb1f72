/**
 * Handlebars templates with escaping per output format (body and URL templates share this engine).
 *
 * Handlebars escapes for HTML only, and its escape function is shared by every environment, so
 * instead of swapping it we rewrite the parsed template: every `{{x}}` becomes
 * `{{__heraldOut x}}`, whose helper escapes for the template's format. Then:
 * - JSON: `{{x}}` writes the value JSON-string-escaped (no surrounding quotes), so it cannot leave
 *   the string literal it stands in; `{{json x}}` writes a whole value as JSON.
 * - XML: `{{x}}` writes the value with & < > " ' as entities, and characters XML cannot carry as U+FFFD.
 * - text/plain: as is.   - URL: encodeURIComponent.
 * Triple-stash `{{{x}}}` / `{{& x}}` is rewritten the same way, so it never writes raw text; for
 * JSON and XML validation rejects it, so nobody relies on it meaning "unescaped".
 *
 * Values print as: strings as is; numbers and booleans as text; null and missing as empty; lists
 * joined with "," (as Handlebars does); objects as JSON text.
 */
import Handlebars from 'handlebars';
import { SaxesParser } from 'saxes';
import type { ValidationIssue } from '../errors';
import { ALLOWED_ROOTS, ROOT_FIELDS, isAllowedRoot, sampleContext, type TemplateContext } from './context';
import { buildEnvelope } from './envelopes';

export const CONTENT_TYPES = ['application/json', 'application/xml', 'text/plain'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** How a placeholder's value is written. */
export type EscapeMode = 'json' | 'xml' | 'text' | 'url';

const MODES: Readonly<Record<ContentType, EscapeMode>> = {
  'application/json': 'json',
  'application/xml': 'xml',
  'text/plain': 'text',
};

function modeFor(contentType: string): EscapeMode | undefined {
  return Object.prototype.hasOwnProperty.call(MODES, contentType) ? MODES[contentType as ContentType] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Writing values

/** Output of `{{json x}}`: already a JSON document, written as is in JSON bodies. */
class RawJson {
  constructor(readonly text: string) {}
}

// Valid JSON since ES2019, but they end a line in JavaScript, which bites receivers that eval or
// embed the body; escaping them costs nothing. JSON.stringify only emits them inside strings.
function escapeLineSeparators(text: string): string {
  return text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function toJson(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? 'null' : escapeLineSeparators(text);
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof RawJson) return value.text;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toText).join(',');
  if (typeof value === 'object') return toJson(value);
  return '';
}

// Characters outside XML 1.0's Char production (controls, lone surrogates, U+FFFE/U+FFFF) cannot
// appear in a document even as character references.
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const XML_ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const WRITERS: Readonly<Record<EscapeMode, (value: unknown) => string>> = {
  json: (value) => (value instanceof RawJson ? value.text : escapeLineSeparators(JSON.stringify(toText(value)).slice(1, -1))),
  xml: (value) => toText(value).replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"']/g, (c) => XML_ENTITIES[c]),
  text: toText,
  // encodeURIComponent throws on a lone surrogate.
  url: (value) => encodeURIComponent(toText(value).replace(LONE_SURROGATE, '\uFFFD')),
};

// ---------------------------------------------------------------------------------------------
// Handlebars environments: one per mode, isolated from the global one

const OUT = '__heraldOut';
const PROBE = '__heraldProbe';
const SINK = 'heraldSink';

interface Sink {
  paths: readonly string[];
  missing: Set<string>;
}

const BLOCK_HELPERS: ReadonlySet<string> = new Set(['if', 'unless', 'each', 'with']);
/** Inline helpers and how many arguments each takes. */
const INLINE_HELPERS: ReadonlyMap<string, number> = new Map([
  ['json', 1],
  ['lookup', 2],
]);
const HELPER_LIST = 'json, lookup, #if, #unless, #each, #with';

const COMPILE_OPTIONS: CompileOptions = {
  strict: false, // a missing path renders empty (and is reported as a warning)
  compat: false, // no recursive lookup up the context stack
  preventIndent: true,
  knownHelpers: { json: true, lookup: true, [OUT]: true, [PROBE]: true },
};

const RUNTIME_OPTIONS = {
  allowProtoPropertiesByDefault: false,
  allowProtoMethodsByDefault: false,
  allowCallsToHelperMissing: false,
};

const envs = new Map<EscapeMode, typeof Handlebars>();

function envFor(mode: EscapeMode): typeof Handlebars {
  let env = envs.get(mode);
  if (!env) {
    env = Handlebars.create();
    env.unregisterHelper('log'); // would write to the worker's console from a user template
    env.registerHelper('json', (value: unknown) => new RawJson(toJson(value)));
    const write = WRITERS[mode];
    env.registerHelper(OUT, (value: unknown) => write(value));
    env.registerHelper(PROBE, (value: unknown, index: number, options: Handlebars.HelperOptions) => {
      const sink = (options.data as Record<string, Sink | undefined> | undefined)?.[SINK];
      if (value === undefined && sink) sink.missing.add(sink.paths[index]);
      return value;
    });
    envs.set(mode, env);
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Checking and rewriting the parsed template

/** An absolute path from the context root; ELEMENT stands for any element of a list. */
type Segments = readonly string[];
const ELEMENT = '[]';
const ITERATION_VARS: ReadonlySet<string> = new Set(['index', 'key', 'first', 'last']);

/** The data paths a template uses, to build a sample event it renders sensibly with. */
interface ShapeNode {
  fields: Map<string, ShapeNode>;
  element?: ShapeNode;
}

interface Frame {
  /** What `this` is here; null where it cannot be followed (the result of a sub-expression). */
  base: Segments | null;
  blockParams: ReadonlyMap<string, Segments | null>;
  iterating: boolean;
}

interface Walk {
  mode: EscapeMode;
  /** Where separateClosingBraces added a comment, to report columns of the original text. */
  insertions: readonly hbs.AST.Position[];
  problems: string[];
  shape: ShapeNode;
  probePaths: string[];
}

type Node = hbs.AST.Node;
type Expr = hbs.AST.Expression;
type Path = hbs.AST.PathExpression;

function at(w: Walk, node: Node): string {
  if (!node.loc) return '';
  const { line, column } = node.loc.start;
  const shift = w.insertions.filter((p) => p.line === line && p.column < column).length * SEPARATOR.length;
  return ` (line ${line}, column ${column - shift + 1})`;
}

function display(segments: Segments): string {
  return segments.reduce((acc, s) => (s === ELEMENT ? `${acc}[]` : acc ? `${acc}.${s}` : s), '');
}

function pathNode(name: string, loc: hbs.AST.SourceLocation): Path {
  return { type: 'PathExpression', data: false, depth: 0, parts: [name], original: name, loc };
}

/** Mirrors Handlebars' scopedId: `this.x` and `./x` never name a helper or a block param. */
function isScoped(path: Path): boolean {
  return /^\.|this\b/.test(path.original);
}

/** The helper a path names, when it can name one. */
function simpleName(path: Node): string | null {
  if (path.type !== 'PathExpression') return null;
  const p = path as Path;
  return !p.data && p.depth === 0 && p.parts.length === 1 && !isScoped(p) ? p.parts[0] : null;
}

function shapeAt(root: ShapeNode, segments: Segments): ShapeNode {
  let node = root;
  for (const s of segments) {
    if (s === ELEMENT) {
      node.element ??= { fields: new Map() };
      node = node.element;
    } else {
      let child = node.fields.get(s);
      if (!child) node.fields.set(s, (child = { fields: new Map() }));
      node = child;
    }
  }
  return node;
}

/** Checks an absolute path against the allowed roots and fields. */
function checkAbsolute(w: Walk, segments: Segments, path: Path): Segments | null {
  const shown = `{{${path.data ? '@' : ''}${path.original}}}`;
  if (segments.length === 0) {
    w.problems.push(`${shown} is the whole context; placeholders start with ${ALLOWED_ROOTS.join(', ')}${at(w, path)}`);
    return null;
  }
  const [root, field] = segments;
  if (!isAllowedRoot(root)) {
    w.problems.push(`unknown placeholder ${shown}: placeholders start with ${ALLOWED_ROOTS.join(', ')}${at(w, path)}`);
    return null;
  }
  if (root !== 'data' && field !== undefined && field !== ELEMENT && !ROOT_FIELDS[root].includes(field)) {
    w.problems.push(`unknown placeholder ${shown}: ${root} has ${ROOT_FIELDS[root].join(', ')}${at(w, path)}`);
    return null;
  }
  if (root === 'data') shapeAt(w.shape, segments.slice(1));
  return segments;
}

/** Resolves a path the way Handlebars would, to the absolute path it reads. */
function resolve(w: Walk, path: Path, frames: readonly Frame[]): Segments | null {
  if (path.data) {
    const [head, ...rest] = path.parts;
    if (head === 'root') return checkAbsolute(w, rest, path);
    if (ITERATION_VARS.has(head)) {
      if (!frames.some((f) => f.iterating)) w.problems.push(`@${head} is only available inside {{#each}}${at(w, path)}`);
      return null;
    }
    w.problems.push(`unknown data variable @${head}: only @index, @key, @first, @last and @root exist${at(w, path)}`);
    return null;
  }
  if (path.depth === 0 && path.parts.length > 0 && !isScoped(path)) {
    for (let i = frames.length - 1; i >= 0; i--) {
      const params = frames[i].blockParams;
      if (params.has(path.parts[0])) {
        const base = params.get(path.parts[0]);
        return base ? checkAbsolute(w, [...base, ...path.parts.slice(1)], path) : null;
      }
    }
  }
  const frame = frames[frames.length - 1 - path.depth];
  if (!frame) {
    w.problems.push(`{{${path.original}}} goes above the top of the template${at(w, path)}`);
    return null;
  }
  return frame.base ? checkAbsolute(w, [...frame.base, ...path.parts], path) : null;
}

function checkHelper(w: Walk, path: Node, kind: 'inline' | 'block', argCount: number): boolean {
  const name = simpleName(path);
  const shown = name ?? (path as Path).original ?? path.type;
  if (name !== null && BLOCK_HELPERS.has(name) && kind === 'inline') {
    w.problems.push(`${name} is a block helper: use {{#${name} …}}…{{/${name}}}${at(w, path)}`);
  } else if (name !== null && INLINE_HELPERS.has(name)) {
    if (kind === 'block') w.problems.push(`${name} is not a block helper: use {{${name} …}}${at(w, path)}`);
    else if (argCount !== INLINE_HELPERS.get(name)) w.problems.push(`${name} takes ${INLINE_HELPERS.get(name)} argument(s), got ${argCount}${at(w, path)}`);
    else return true;
  } else if (name === null || !BLOCK_HELPERS.has(name)) {
    w.problems.push(`unknown helper "${shown}"; available: ${HELPER_LIST}${at(w, path)}`);
  } else {
    return true;
  }
  return false;
}

/**
 * Checks an expression and returns what to compile in its place: a data path in value position
 * is wrapped in the probe helper, which records it when missing (conditions are not: testing
 * for absence is their point).
 */
function walkExpr(w: Walk, expr: Expr, frames: readonly Frame[], role: 'value' | 'condition'): { expr: Expr; target: Segments | null } {
  if (expr.type === 'PathExpression') {
    const target = resolve(w, expr as Path, frames);
    if (role === 'value' && target && target[0] === 'data') {
      const index = w.probePaths.push(display(target)) - 1;
      const probe: hbs.AST.SubExpression = {
        type: 'SubExpression',
        path: pathNode(PROBE, expr.loc),
        // An index into the template's own path table: no user text reaches the compiler here.
        params: [expr, { type: 'NumberLiteral', value: index, original: index, loc: expr.loc } as hbs.AST.NumberLiteral],
        hash: undefined as unknown as hbs.AST.Hash,
        loc: expr.loc,
      };
      return { expr: probe, target };
    }
    return { expr, target };
  }
  if (expr.type === 'SubExpression') {
    const sub = expr as hbs.AST.SubExpression;
    if (checkHelper(w, sub.path, 'inline', sub.params.length)) {
      sub.params = sub.params.map((p) => walkExpr(w, p, frames, 'value').expr);
      walkHash(w, sub.hash, frames);
    }
    return { expr: sub, target: null };
  }
  return { expr, target: null }; // literals
}

function walkHash(w: Walk, hash: hbs.AST.Hash | undefined, frames: readonly Frame[]): void {
  for (const pair of hash?.pairs ?? []) pair.value = walkExpr(w, pair.value, frames, 'value').expr;
}

function walkProgram(w: Walk, program: hbs.AST.Program | undefined, frames: readonly Frame[]): void {
  for (const statement of program?.body ?? []) walkStatement(w, statement, frames);
}

function walkStatement(w: Walk, node: hbs.AST.Statement, frames: readonly Frame[]): void {
  switch (node.type) {
    case 'ContentStatement':
    case 'CommentStatement':
      return;
    case 'MustacheStatement':
      return walkMustache(w, node as hbs.AST.MustacheStatement, frames);
    case 'BlockStatement':
      return walkBlock(w, node as hbs.AST.BlockStatement, frames);
    case 'PartialStatement':
    case 'PartialBlockStatement':
      w.problems.push(`partials ({{> name}}) are not supported${at(w, node)}`);
      return;
    default:
      w.problems.push(`decorators ({{* name}}) are not supported${at(w, node)}`);
  }
}

function walkMustache(w: Walk, m: hbs.AST.MustacheStatement, frames: readonly Frame[]): void {
  if (!m.escaped && (w.mode === 'json' || w.mode === 'xml')) {
    w.problems.push(
      `{{{…}}} and {{& …}} are not allowed in ${w.mode.toUpperCase()} templates: use {{…}}, which is escaped for ${w.mode.toUpperCase()}` +
        `${w.mode === 'json' ? ', or {{json …}} to insert a whole value as JSON' : ''}${at(w, m)}`,
    );
  }
  if (m.path.type !== 'PathExpression') {
    w.problems.push(`a literal is not a placeholder: use a path such as {{data.field}}${at(w, m)}`);
    return;
  }
  const hasArgs = m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0;
  const name = simpleName(m.path);
  let value: Expr;
  if (hasArgs) {
    if (!checkHelper(w, m.path, 'inline', m.params.length)) return;
    walkHash(w, m.hash, frames);
    const call: hbs.AST.SubExpression = {
      type: 'SubExpression',
      path: m.path as Path,
      params: m.params.map((p) => walkExpr(w, p, frames, 'value').expr),
      hash: m.hash,
      loc: m.loc,
    };
    value = call;
  } else if (name !== null && (BLOCK_HELPERS.has(name) || INLINE_HELPERS.has(name))) {
    checkHelper(w, m.path, 'inline', 0);
    return;
  } else {
    value = walkExpr(w, m.path, frames, 'value').expr;
  }
  m.path = pathNode(OUT, m.loc);
  m.params = [value];
  m.hash = undefined as unknown as hbs.AST.Hash;
  m.escaped = false; // OUT has escaped for the format already; Handlebars would HTML-escape again
}

function walkBlock(w: Walk, b: hbs.AST.BlockStatement, frames: readonly Frame[]): void {
  const name = simpleName(b.path);
  if (name !== null && BLOCK_HELPERS.has(name)) {
    if (b.params.length !== 1) {
      w.problems.push(`{{#${name}}} takes exactly one argument, got ${b.params.length}${at(w, b)}`);
      return;
    }
    const role = name === 'if' || name === 'unless' ? 'condition' : 'value';
    const { expr, target } = walkExpr(w, b.params[0], frames, role);
    b.params = [expr];
    walkHash(w, b.hash, frames);
    if (name === 'each' || name === 'with') {
      if (name === 'each' && target) shapeAt(w.shape, [...target, ELEMENT]);
      const inner = name === 'each' && target ? [...target, ELEMENT] : target;
      const [itemParam, indexParam] = b.program.blockParams ?? [];
      const blockParams = new Map<string, Segments | null>();
      if (itemParam) blockParams.set(itemParam, inner);
      if (indexParam) blockParams.set(indexParam, null);
      walkProgram(w, b.program, [...frames, { base: inner, blockParams, iterating: name === 'each' }]);
    } else {
      walkProgram(w, b.program, frames);
    }
    walkProgram(w, b.inverse, frames);
    return;
  }
  if (b.params.length > 0 || (b.hash?.pairs.length ?? 0) > 0 || (name !== null && INLINE_HELPERS.has(name))) {
    checkHelper(w, b.path, 'block', b.params.length);
    return;
  }
  // A section ({{#data.items}}…{{/data.items}}) iterates a list, enters an object or shows on a
  // truthy value; which one depends on the data, so paths inside are relative to an unknown base.
  resolve(w, b.path, frames);
  walkProgram(w, b.program, [...frames, { base: null, blockParams: new Map(), iterating: true }]);
  walkProgram(w, b.inverse, frames);
}

// ---------------------------------------------------------------------------------------------
// Compiled templates, cached

export interface CompiledTemplate {
  /** Why the template is rejected; empty when it compiled. */
  readonly problems: readonly string[];
  /** Renders; `missing` lists data paths that were written but absent (rendered empty). */
  run(ctx: TemplateContext): { output: string; missing: string[] };
  /** A sample event whose data has a value at every data path the template uses. */
  sample(): TemplateContext;
}

function sampleValue(node: ShapeNode): unknown {
  // Two elements, so a separator between list items gets rendered and checked.
  if (node.element) return [sampleValue(node.element), sampleValue(node.element)];
  if (node.fields.size > 0) return sampleObject(node);
  return 1; // a number is well-formed both inside a JSON string and as a bare JSON value
}

function sampleObject(node: ShapeNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, child] of node.fields) out[key] = sampleValue(child);
  if (node.element) {
    // `{{#each data}}` iterates the keys of data itself.
    out.sample1 = sampleValue(node.element);
    out.sample2 = sampleValue(node.element);
  }
  return out;
}

function oneLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() !== '');
  // Handlebars parse errors quote the source and draw a caret between the first and last lines.
  return lines.length > 2 ? `${lines[0]} ${lines[lines.length - 1]}` : lines.join(' ');
}

const SEPARATOR = '{{!}}';

/**
 * `{"amount": {{data.amount}}}` is natural JSON, but Handlebars reads the final `}}}` as the end
 * of a triple-stash and fails to parse. An empty comment after such a `}}` (`{{data.amount}}{{!}}}`)
 * renders nothing and keeps the brace as text.
 */
function separateClosingBraces(template: string): { source: string; insertions: hbs.AST.Position[] } {
  let source = '';
  const insertions: hbs.AST.Position[] = [];
  let i = 0;
  for (;;) {
    const open = template.indexOf('{{', i);
    if (open === -1) break;
    const plain = !template.startsWith('{{{', open) && !template.startsWith('{{!', open);
    const close = closeOf(template, open);
    if (close === -1) break; // unterminated: the parser reports it
    const end = close + 2;
    source += template.slice(i, end);
    if (plain && template[end] === '}') {
      const lines = source.split('\n');
      insertions.push({ line: lines.length, column: lines[lines.length - 1].length });
      source += SEPARATOR;
    }
    i = end;
  }
  return { source: source + template.slice(i), insertions };
}

/** Index of the final `}}` of the mustache opened at `open`; -1 if there is none. */
function closeOf(template: string, open: number): number {
  const after = (marker: string, offset: number): number => {
    const k = template.indexOf(marker, open + 2);
    return k === -1 ? -1 : k + offset;
  };
  if (template.startsWith('{{!--', open)) return after('--}}', 2);
  if (template.startsWith('{{{', open)) return after('}}}', 1);
  if (template.startsWith('{{!', open)) return after('}}', 0);
  // String literals may contain braces.
  let quote: string | null = null;
  for (let j = open + 2; j < template.length - 1; j++) {
    const c = template[j];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '}' && template[j + 1] === '}') {
      return j;
    }
  }
  return -1;
}

function parse(env: typeof Handlebars, template: string, w: Walk): hbs.AST.Program | null {
  try {
    return env.parse(template);
  } catch (err) {
    w.problems.push(`does not compile: ${oneLine(err)}`);
    return null;
  }
}

function compile(template: string, mode: EscapeMode): CompiledTemplate {
  const env = envFor(mode);
  const { source, insertions } = separateClosingBraces(template);
  const w: Walk = { mode, insertions, problems: [], shape: { fields: new Map() }, probePaths: [] };
  const program = parse(env, source, w);
  if (program) walkProgram(w, program, [{ base: [], blockParams: new Map(), iterating: false }]);
  const problems = Object.freeze([...new Set(w.problems)]);
  // The AST is Handlebars' own parse of the template with our helper calls spliced in.
  const fn = program && problems.length === 0 ? env.compile(program, COMPILE_OPTIONS) : null;
  const paths = Object.freeze(w.probePaths);
  return {
    problems,
    run(ctx) {
      if (!fn) throw new Error(`Invalid template: ${problems.join('; ')}`);
      const sink: Sink = { paths, missing: new Set() };
      const output = fn(ctx, { ...RUNTIME_OPTIONS, data: { [SINK]: sink } });
      return { output, missing: [...sink.missing] };
    },
    sample: () => sampleContext(sampleObject(w.shape)),
  };
}

const CACHE_LIMIT = 500;
const cache = new Map<string, CompiledTemplate>();

/** Compiles once per (mode, template); the least recently used entries go first. */
export function compileTemplate(template: string, mode: EscapeMode): CompiledTemplate {
  const key = `${mode}\u0000${template}`;
  let compiled = cache.get(key);
  if (compiled) {
    cache.delete(key);
  } else {
    compiled = compile(template, mode);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  }
  cache.set(key, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Body templates

/** Why `text` is not a well-formed document of the mode, or null when it is (or need not be). */
function malformation(text: string, mode: EscapeMode): string | null {
  if (mode === 'json') {
    try {
      JSON.parse(text);
      return null;
    } catch (err) {
      return `valid JSON (${oneLine(err)})`;
    }
  }
  if (mode === 'xml') {
    let first: string | null = null;
    const parser = new SaxesParser();
    parser.on('error', (err) => {
      first ??= err.message;
    });
    try {
      parser.write(text).close();
    } catch (err) {
      first ??= oneLine(err);
    }
    return first === null ? null : `well-formed XML (${first})`;
  }
  return null;
}

function excerpt(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Save-time check of a body template: it compiles, uses only known placeholders and helpers, and
 * for JSON and XML renders a well-formed document for a sample event. `null` means the default
 * envelope, which is JSON: fine for application/json only. An XML or text webhook without a
 * template would send JSON under the wrong content type, so it must bring its own template.
 */
export function validateBodyTemplate(template: string | null, contentType: string): ValidationIssue[] {
  const mode = modeFor(contentType);
  if (!mode) return [{ path: 'contentType', message: `must be one of ${CONTENT_TYPES.join(', ')}` }];
  const issue = (message: string): ValidationIssue => ({ path: 'bodyTemplate', message });
  if (template === null) {
    return mode === 'json' ? [] : [issue(`is required for ${contentType}: the default envelopes are JSON`)];
  }
  if (typeof template !== 'string') return [issue('must be a string or null')];
  const compiled = compileTemplate(template, mode);
  if (compiled.problems.length > 0) return compiled.problems.map(issue);
  let output: string;
  try {
    output = compiled.run(compiled.sample()).output;
  } catch (err) {
    return [issue(`fails to render for a sample event: ${oneLine(err)}`)];
  }
  const bad = malformation(output, mode);
  if (!bad) return [];
  const hint = mode === 'json' ? '; {{x}} writes a value JSON-escaped but without quotes, so put it inside a string literal ("{{data.name}}") or use {{json data.value}}' : '';
  return [issue(`does not render to ${bad} for a sample event${hint}; rendered: ${excerpt(output)}`)];
}

export interface RenderBodyInput {
  template: string | null;
  contentType: string;
  /** Used when template is null; `latest` accepted. */
  payloadVersion: string;
  ctx: TemplateContext;
}

export interface RenderedBody {
  body: string;
  /** E.g. `data.customer.name is missing` (it rendered empty). */
  warnings: string[];
}

/** Renders a body; throws on a template that fails validation (it should never have been saved). */
export function renderBody({ template, contentType, payloadVersion, ctx }: RenderBodyInput): RenderedBody {
  if (template === null) return { body: JSON.stringify(buildEnvelope(payloadVersion, ctx)), warnings: [] };
  const mode = modeFor(contentType);
  if (!mode) throw new Error(`Unsupported contentType "${contentType}"`);
  const { output, missing } = compileTemplate(template, mode).run(ctx);
  const warnings = missing.map((path) => `${path} is missing`);
  // Only possible with data the sample did not foresee, e.g. a string in a bare JSON value position.
  const bad = malformation(output, mode);
  if (bad) warnings.push(`the rendered body is not ${bad}`);
  return { body: output, warnings };
}
