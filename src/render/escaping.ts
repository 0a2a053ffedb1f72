/**
 * Escape modes and the value writers behind them: how a placeholder's value is written in each
 * output format (see body-template.ts for the overall scheme).
 */

export const CONTENT_TYPES = ['application/json', 'application/xml', 'text/plain'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** How a placeholder's value is written. */
export type EscapeMode = 'json' | 'xml' | 'text' | 'url';

const MODES: Readonly<Record<ContentType, EscapeMode>> = {
  'application/json': 'json',
  'application/xml': 'xml',
  'text/plain': 'text',
};

export function modeFor(contentType: string): EscapeMode | undefined {
  return Object.prototype.hasOwnProperty.call(MODES, contentType) ? MODES[contentType as ContentType] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Writing values

/** Output of `{{json x}}`: already a JSON document, written as is in JSON bodies. */
export class RawJson {
  constructor(readonly text: string) {}
}

// Valid JSON since ES2019, but they end a line in JavaScript, which bites receivers that eval or
// embed the body; escaping them costs nothing. JSON.stringify only emits them inside strings.
function escapeLineSeparators(text: string): string {
  return text.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function toJson(value: unknown): string {
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

export const WRITERS: Readonly<Record<EscapeMode, (value: unknown) => string>> = {
  json: (value) => (value instanceof RawJson ? value.text : escapeLineSeparators(JSON.stringify(toText(value)).slice(1, -1))),
  xml: (value) => toText(value).replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"']/g, (c) => XML_ENTITIES[c]),
  text: toText,
  // encodeURIComponent throws on a lone surrogate.
  url: (value) => encodeURIComponent(toText(value).replace(LONE_SURROGATE, '\uFFFD')),
};
