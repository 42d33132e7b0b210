// A small element tree over fast-xml-parser for the vendor XML in slide files (Philips, Leica): text kept
// exactly as libxml2 hands it to OpenSlide (not trimmed), predefined entities expanded, and malformed XML
// a typed SlideError instead of a parser exception.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SlideError } from '../slide-errors.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  /** Elements and text nodes (`#text`), in document order. */
  children: (XmlElement | XmlText)[];
}

export interface XmlText {
  name: '#text';
  text: string;
}

/** Vendor XML larger than this is refused (real ones are well under 1 MiB, or a few MiB with images). */
const MAX_XML_CHARS = 64 * 1024 * 1024;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
});

/** The document's root element; SlideError('corrupt') when the text is not well-formed XML. */
export function parseXml(text: string, path: string): XmlElement {
  if (text.length > MAX_XML_CHARS) throw new SlideError('too-large', `${path}: its XML metadata is ${text.length} characters long`);
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new SlideError('corrupt', `${path}: its XML metadata is malformed (${valid.err.msg}, line ${valid.err.line})`);
  let parsed: unknown;
  try {
    parsed = parser.parse(text);
  } catch (err) {
    throw new SlideError('corrupt', `${path}: its XML metadata is malformed (${(err as Error).message})`);
  }
  const nodes = convert(parsed);
  const root = nodes.find((n): n is XmlElement => n.name !== '#text');
  if (!root) throw new SlideError('corrupt', `${path}: its XML metadata has no root element`);
  return root;
}

function convert(raw: unknown): (XmlElement | XmlText)[] {
  if (!Array.isArray(raw)) return [];
  const out: (XmlElement | XmlText)[] = [];
  for (const item of raw as Record<string, unknown>[]) {
    for (const [key, value] of Object.entries(item)) {
      if (key === ':@') continue;
      if (key === '#text') {
        out.push({ name: '#text', text: String(value) });
        continue;
      }
      const attrs: Record<string, string> = {};
      const rawAttrs = item[':@'];
      if (rawAttrs && typeof rawAttrs === 'object') for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
      out.push({ name: key, attrs, children: convert(value) });
    }
  }
  return out;
}

export function attr(el: XmlElement, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(el.attrs, name) ? el.attrs[name] : undefined;
}

/**
 * An integer attribute as OpenSlide's parse_int_attr reads it (optional sign, digits, surrounding space; a
 * safe integer), or `fail(<what is wrong>)`.
 */
export function intAttr(el: XmlElement, name: string, fail: (message: string) => never): number {
  const v = attr(el, name);
  if (v === undefined) return fail(`no integer attribute "${name}"`);
  if (!/^\s*[+-]?\d+$/.test(v)) return fail(`invalid integer attribute "${name}"`);
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : fail(`integer attribute "${name}" is out of range`);
}

/** Child elements, optionally only those called `name`. */
export function childElements(el: XmlElement, name?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.name !== '#text' && (name === undefined || c.name === name));
}

/** The element's own text nodes (XPath `text()`), merged where adjacent as libxml2 stores them. */
export function textNodes(el: XmlElement): string[] {
  const out: string[] = [];
  let prevText = false;
  for (const c of el.children) {
    if (c.name === '#text') {
      if (prevText) out[out.length - 1] += (c as XmlText).text;
      else out.push((c as XmlText).text);
      prevText = true;
    } else prevText = false;
  }
  return out;
}

/** All text beneath the element (libxml2's xmlNodeGetContent). */
export function elementText(el: XmlElement): string {
  return el.children.map((c) => (c.name === '#text' ? (c as XmlText).text : elementText(c as XmlElement))).join('');
}
