import { JSONParser } from '@streamparser/json';

/**
 * Reads a JSON document as it arrives, handing over only the values at the paths asked for (`$.kind`,
 * `$.items.*`), so a list of 100,000 objects is examined one object at a time and never held whole.
 *
 * The bytes are checked before the parser sees them: a document nested deeper than `maxDepth` is refused at
 * the byte that opens the level too many, so a hostile answer (a 200 KB array 100,000 levels deep) costs
 * a few bytes of state, not a parser stack of hundreds of megabytes.
 */
export interface JsonStreamOptions {
  /** Paths to hand over, in @streamparser/json's syntax: `$.kind`, `$.items.*`, `$.metadata`. */
  paths: string[];
  /** Called with each value at one of the paths and its keys from the root (`['items', 3]`). */
  onValue(value: unknown, keys: readonly (string | number)[]): void;
  /** Deepest nesting accepted (objects and arrays). Default 64: Kubernetes objects stay far below it. */
  maxDepth?: number;
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
  private depth = 0;
  private inString = false;
  private escaped = false;
  private finished = false;
  /** Bytes read so far. */
  bytes = 0;

  constructor(options: JsonStreamOptions) {
    this.maxDepth = options.maxDepth ?? 64;
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

  /** Counts nesting on the raw bytes (strings skipped), before any of it is parsed. */
  private guard(chunk: Uint8Array): void {
    let { depth, inString, escaped } = this;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (++depth > this.maxDepth) {
          throw new JsonLimitError(`JSON nested deeper than ${this.maxDepth} levels, at byte ${this.bytes + i}`);
        }
      } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
  }
}
