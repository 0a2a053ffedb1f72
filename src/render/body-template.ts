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
import { SaxesParser } from 'saxes';
import type { ValidationIssue } from '../errors';
import type { TemplateContext } from './context';
import { buildEnvelope } from './envelopes';
import { CONTENT_TYPES, modeFor, type EscapeMode } from './escaping';
import { compileTemplate, oneLine } from './template-engine';

export { CONTENT_TYPES, type ContentType, type EscapeMode } from './escaping';
export { compileTemplate, type CompiledTemplate } from './template-engine';

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
