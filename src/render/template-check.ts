/**
 * The walk over Handlebars' parsed template: checks roots, fields and helpers, rewrites
 * placeholders into calls of Herald's own helpers, and collects the shape of the data the
 * template uses (to build a sample event).
 */
import { ALLOWED_ROOTS, ROOT_FIELDS, isAllowedRoot } from './context';
import type { EscapeMode } from './escaping';
import { BLOCK_HELPERS, HELPER_LIST, INLINE_HELPERS, OUT, PROBE, SEPARATOR } from './template-syntax';

// ---------------------------------------------------------------------------------------------
// Checking and rewriting the parsed template

/** An absolute path from the context root; ELEMENT stands for any element of a list. */
type Segments = readonly string[];
const ELEMENT = '[]';
const ITERATION_VARS: ReadonlySet<string> = new Set(['index', 'key', 'first', 'last']);

/** The data paths a template uses, to build a sample event it renders sensibly with. */
export interface ShapeNode {
  fields: Map<string, ShapeNode>;
  element?: ShapeNode;
}

interface Frame {
  /** What `this` is here; null where it cannot be followed (the result of a sub-expression). */
  base: Segments | null;
  blockParams: ReadonlyMap<string, Segments | null>;
  iterating: boolean;
}

export interface Walk {
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
    // Its arguments are checked even when the helper is wrong: every problem is reported at once.
    checkHelper(w, sub.path, 'inline', sub.params.length);
    sub.params = sub.params.map((p) => walkExpr(w, p, frames, 'value').expr);
    walkHash(w, sub.hash, frames);
    return { expr: sub, target: null };
  }
  return { expr, target: null }; // literals
}

function walkHash(w: Walk, hash: hbs.AST.Hash | undefined, frames: readonly Frame[]): void {
  for (const pair of hash?.pairs ?? []) pair.value = walkExpr(w, pair.value, frames, 'value').expr;
}

export function walkProgram(w: Walk, program: hbs.AST.Program | undefined, frames: readonly Frame[]): void {
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
    if (!checkHelper(w, m.path, 'inline', m.params.length)) {
      for (const p of m.params) walkExpr(w, p, frames, 'value');
      walkHash(w, m.hash, frames);
      return;
    }
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
      walkUnknownBlock(w, b, frames, name === 'if' || name === 'unless');
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
    walkUnknownBlock(w, b, frames, false);
    return;
  }
  // A section ({{#data.items}}…{{/data.items}}) iterates a list, enters an object or shows on a
  // truthy value; which one depends on the data, so paths inside are relative to an unknown base.
  resolve(w, b.path, frames);
  walkProgram(w, b.program, [...frames, { base: null, blockParams: new Map(), iterating: true }]);
  walkProgram(w, b.inverse, frames);
}

/**
 * A block already reported as wrong (unknown helper, wrong argument count): its arguments and
 * body are still checked, so every problem is reported at once. Inside, `this` is unknown unless
 * the block keeps the context (#if, #unless).
 */
function walkUnknownBlock(w: Walk, b: hbs.AST.BlockStatement, frames: readonly Frame[], keepsContext: boolean): void {
  for (const p of b.params) walkExpr(w, p, frames, 'value');
  walkHash(w, b.hash, frames);
  const blockParams = new Map<string, Segments | null>((b.program.blockParams ?? []).map((p) => [p, null]));
  walkProgram(w, b.program, keepsContext ? frames : [...frames, { base: null, blockParams, iterating: true }]);
  walkProgram(w, b.inverse, frames);
}
