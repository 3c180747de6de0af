import { JSONParser } from '@streamparser/json';

/**
 * Reads a JSON document as it arrives, handing over only the values at the paths asked for (`$.kind`,
 * `$.items.*`), so a list of 100,000 objects is examined one object at a time and never held whole.
 *
 * The bytes are checked before the parser sees them: a document nested deeper than `maxDepth` is refused at
 * the byte that opens the level too many, so a hostile answer (a 200 KB array 100,000 levels deep) costs
 * a few bytes of state, not a parser stack of hundreds of megabytes. Sizes are checked the same way: one
 * item (a value at a `.*` path) may not pass `maxValueBytes`, and neither may everything outside the items
 * together, so what the parser builds at any moment is bounded whatever the body's length.
 */
export interface JsonStreamOptions {
  /** Paths to hand over, in @streamparser/json's syntax: `$.kind`, `$.items.*`, `$.metadata`. */
  paths: string[];
  /** Called with each value at one of the paths and its keys from the root (`['items', 3]`). */
  onValue(value: unknown, keys: readonly (string | number)[]): void;
  /** Deepest nesting accepted (objects and arrays). Default 64: Kubernetes objects stay far below it. */
  maxDepth?: number;
  /** Largest item, and largest sum of what lies outside the items, in bytes. Default 8 MiB. */
  maxValueBytes?: number;
}

/** The document is not one a reader accepts (too deep, or not JSON); `message` is one line. */
export class JsonLimitError extends Error {
  override readonly name = 'JsonLimitError';
}

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** JSON's whitespace and the separators between items: not counted as content outside the items. */
const SEPARATOR = new Uint8Array(256);
for (const b of [0x20, 0x09, 0x0a, 0x0d, COMMA]) SEPARATOR[b] = 1;

/**
 * The depth of the container whose items are handed over one by one (`$.items.*`: 2, the root object being
 * 1); Infinity when no path hands over items, so everything counts as lying outside them.
 */
function itemContainerDepth(paths: readonly string[]): number {
  const depths = paths.filter((p) => p.endsWith('.*')).map((p) => p.split('.').length - 1);
  return depths.length > 0 ? Math.min(...depths) : Number.POSITIVE_INFINITY;
}

/** Nesting of a whole JSON text, or the point where it passes `maxDepth` (strings skipped). */
function tooDeep(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === BACKSLASH) escaped = true;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return false;
}

/**
 * JSON.parse for a body held whole, or undefined when it is not JSON or nests deeper than `maxDepth`: a
 * hostile document 100,000 levels deep never becomes a structure the rest of the run has to walk.
 */
export function parseBounded<T = unknown>(text: string, maxDepth = 64): T | undefined {
  if (tooDeep(text, maxDepth)) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export class JsonStream {
  private readonly parser: JSONParser;
  private readonly maxDepth: number;
  private readonly maxValueBytes: number;
  private readonly containerDepth: number;
  private depth = 0;
  /** Bytes of the item being read, and of everything outside the items so far. */
  private itemBytes = 0;
  private outsideBytes = 0;
  private inString = false;
  private escaped = false;
  private finished = false;
  /** Bytes read so far. */
  bytes = 0;

  constructor(options: JsonStreamOptions) {
    this.maxDepth = options.maxDepth ?? 64;
    this.maxValueBytes = options.maxValueBytes ?? 8 * 1024 * 1024;
    this.containerDepth = itemContainerDepth(options.paths);
    // keepStack false: a value handed over is dropped from its parent at once, so memory does not grow
    // with the number of items.
    this.parser = new JSONParser({ paths: options.paths, keepStack: false });
    this.parser.onValue = ({ value, key, stack }) => {
      const keys = stack
        .slice(1)
        .map((s) => s.key)
        .filter((k): k is string | number => k !== undefined);
      if (key !== undefined) keys.push(key);
      options.onValue(value, keys);
    };
    this.parser.onEnd = () => {
      this.finished = true;
    };
  }

  /** Whether the whole top-level value was read. */
  get complete(): boolean {
    return this.finished;
  }

  /** Feeds the next bytes; throws JsonLimitError when they are too deep or not JSON. */
  write(chunk: Uint8Array): void {
    this.guard(chunk);
    this.bytes += chunk.length;
    if (this.finished) {
      if (/\S/.test(Buffer.from(chunk).toString('latin1'))) throw new JsonLimitError('data after the JSON document');
      return;
    }
    try {
      this.parser.write(chunk);
    } catch (err) {
      if (this.finished) throw new JsonLimitError('data after the JSON document');
      throw new JsonLimitError(`not JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  /** The body ended: throws JsonLimitError when the document had not (a list cut short). */
  end(): void {
    if (!this.finished) throw new JsonLimitError('the body ended before the JSON document did');
  }

  /** Counts nesting and sizes on the raw bytes (strings skipped for nesting), before any of it is parsed. */
  private guard(chunk: Uint8Array): void {
    let { depth, inString, escaped, itemBytes, outsideBytes } = this;
    const { containerDepth, maxValueBytes } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      let closes = false;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (++depth > this.maxDepth) {
          throw new JsonLimitError(`JSON nested deeper than ${this.maxDepth} levels, at byte ${this.bytes + i}`);
        }
        if (depth === containerDepth + 1) itemBytes = 0;
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) closes = true;
      if (depth > containerDepth) {
        if (++itemBytes > maxValueBytes) {
          throw new JsonLimitError(`a list item larger than ${maxValueBytes} bytes, at byte ${this.bytes + i}`);
        }
      } else if ((inString || !SEPARATOR[b]) && ++outsideBytes > maxValueBytes) {
        throw new JsonLimitError(`more than ${maxValueBytes} bytes outside the list items, at byte ${this.bytes + i}`);
      }
      if (closes) depth--;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.itemBytes = itemBytes;
    this.outsideBytes = outsideBytes;
  }
}
