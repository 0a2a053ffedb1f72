/**
 * URL templates. Placeholders may only fill the path and the query, and every value is
 * URL-encoded (encodeURIComponent), so event data can never choose where a request goes: not the
 * scheme, not the host or port, not an extra path segment or query parameter.
 */
import type { ValidationIssue } from '../errors';
import type { TemplateContext } from './context';
import { compileTemplate } from './template-engine';

const PATH = 'url';

/**
 * The template with every `{{…}}` replaced by as many U+0001 characters, so the URL's structure
 * (`://`, `/`, `?`, `#`, `:`) is read from the literal text only; a `#` in `{{#if}}` is not a fragment.
 */
function maskPlaceholders(template: string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open === -1) break;
    const close = template.indexOf('}}', open + 2);
    let end = close === -1 ? template.length : close + 2;
    while (end < template.length && template[end] === '}') end++; // triple-stash
    out += template.slice(i, open) + '\u0001'.repeat(end - open);
    i = end;
  }
  return out + template.slice(i);
}

const HOLE = '\u0001';

export const USERINFO_MESSAGE =
  'must not contain credentials (user:password@host): put them in `auth` ({"type": "basic", "username", "password"}), which is stored encrypted and never shown';

function hasSpaceOrControl(text: string): boolean {
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c !== HOLE && (code <= 0x20 || code === 0x7f || /\s/.test(c))) return true;
  }
  return false;
}

/** Where placeholders sit, read from the masked template; one message per broken rule. */
function placementIssues(masked: string): string[] {
  const issues: string[] = [];
  const schemeEnd = masked.indexOf('://');
  if (schemeEnd === -1) return ['must be an absolute URL starting with http:// or https://'];
  const scheme = masked.slice(0, schemeEnd);
  if (scheme.includes(HOLE)) issues.push('placeholders are not allowed in the scheme');
  else if (!/^https?$/i.test(scheme)) issues.push(`only http and https URLs are allowed, not "${scheme}"`);

  const authorityStart = schemeEnd + 3;
  const rest = masked.slice(authorityStart);
  const authorityLength = rest.search(/[/?#]/);
  const authority = authorityLength === -1 ? rest : rest.slice(0, authorityLength);
  // WHATWG URL skips extra slashes (`https:///{{data.host}}` takes its host from the data).
  if (authority === '') issues.push('must name a host right after the scheme (https://host/…)');
  // Credentials in the URL would be shown in every response and snapshot, stored unencrypted, and
  // not sent by the HTTP client (undici ignores userinfo): they belong in `auth`, which is
  // encrypted at rest, redacted everywhere and sent as an Authorization header.
  const hostStart = authority.lastIndexOf('@') + 1;
  if (hostStart > 0) issues.push(USERINFO_MESSAGE);
  if (authority.includes(HOLE)) {
    const hostPort = authority.slice(hostStart);
    // A port follows the last colon, outside an IPv6 literal's brackets.
    const colon = hostPort.indexOf(':', hostPort.startsWith('[') ? hostPort.indexOf(']') : 0);
    const inHost = (colon === -1 ? hostPort : hostPort.slice(0, colon)).includes(HOLE);
    const inPort = colon !== -1 && hostPort.slice(colon).includes(HOLE);
    if (inHost) issues.push('placeholders are not allowed in the host: only in the path and query');
    if (inPort) issues.push('placeholders are not allowed in the port: only in the path and query');
  }
  if (authorityLength !== -1) {
    const hash = rest.indexOf('#', authorityLength);
    if (hash !== -1 && rest.slice(hash).includes(HOLE)) issues.push('placeholders are not allowed in the fragment (#…): only in the path and query');
  }
  return issues;
}

/**
 * Save-time check of a URL template: http/https only, no quotes, placeholders in the path and
 * query only, known placeholders, and a valid URL once sample values are filled in.
 */
export function validateUrlTemplate(template: unknown): ValidationIssue[] {
  if (typeof template !== 'string' || template.trim() === '') return [{ path: PATH, message: 'is required' }];
  const problems: string[] = [];
  if (/['"`]/.test(template)) problems.push("must not contain quotes (', \" or `)");
  // WHATWG URL reads `\` as `/` in http(s) URLs, which would shift where the host ends.
  if (template.includes('\\')) problems.push('must not contain backslashes');
  const masked = maskPlaceholders(template);
  // Spaces inside {{…}} separate helper arguments; only the literal text must have none.
  if (hasSpaceOrControl(masked)) problems.push('must not contain spaces or control characters');
  problems.push(...placementIssues(masked));
  const compiled = compileTemplate(template, 'url');
  problems.push(...compiled.problems);
  if (problems.length === 0) {
    let rendered = '';
    try {
      rendered = compiled.run(compiled.sample()).output;
      const url = new URL(rendered);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push('only http and https URLs are allowed');
      if (url.hostname === '') problems.push(`must have a host (rendered for a sample event: ${rendered})`);
    } catch {
      problems.push(`is not a valid URL once placeholders are filled in (rendered for a sample event: ${rendered})`);
    }
  }
  return problems.map((message) => ({ path: PATH, message }));
}

/** Renders a URL, each placeholder's value URL-encoded. Throws on a template that fails validation. */
export function renderUrl(template: string, ctx: TemplateContext): string {
  return compileTemplate(template, 'url').run(ctx).output;
}
