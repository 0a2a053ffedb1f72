/**
 * The template engine: isolated Handlebars environments per escape mode, the `{{!}}` separation of
 * closing braces, parsing, compiling (with an LRU cache) and building a sample context.
 */
import Handlebars from 'handlebars';
import { sampleContext, type TemplateContext } from './context';
import { RawJson, WRITERS, toJson, type EscapeMode } from './escaping';
import { walkProgram, type ShapeNode, type Walk } from './template-check';
import { OUT, PROBE, SEPARATOR } from './template-syntax';

// ---------------------------------------------------------------------------------------------
// Handlebars environments: one per mode, isolated from the global one

const SINK = 'heraldSink';

interface Sink {
  paths: readonly string[];
  missing: Set<string>;
}

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

export function oneLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() !== '');
  // Handlebars parse errors quote the source and draw a caret between the first and last lines.
  return lines.length > 2 ? `${lines[0]} ${lines[lines.length - 1]}` : lines.join(' ');
}

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
