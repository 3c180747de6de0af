// A CoreDNS Corefile read as CoreDNS reads it (the Caddyfile syntax): server blocks named by their zones
// (`.:53`, `cluster.local:53 in-addr.arpa:53`), each a list of plugin directives with arguments and an
// optional block of options; `#` starts a comment where a token would start; quoted tokens keep their
// spaces; `{$ENV}` is a token, not a block; `(name) { … }` defines a snippet that `import name` pastes.
// Pure and lenient: a Corefile a person wrote by hand, cut or unbalanced, still gives what could be read.

export interface Directive {
  name: string;
  args: string[];
  /** 1-based line of the directive within the Corefile. */
  line: number;
  /** The directive's own block of options (`kubernetes cluster.local { pods verified }`). */
  options: Directive[];
}

export interface ServerBlock {
  /** The zones and ports it serves, as written (`.:53`). */
  keys: string[];
  line: number;
  directives: Directive[];
}

export interface Corefile {
  servers: ServerBlock[];
  /** Snippets by name (without the parentheses). */
  snippets: Map<string, Directive[]>;
  /** Top-level imports (`import custom/*.server`): server blocks from files that cannot be read from here. */
  imports: string[];
}

interface Token {
  text: string;
  line: number;
  /** Quoted tokens are never braces nor comments. */
  quoted: boolean;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const start = line;
    if (ch === '"' || ch === '`') {
      let value = '';
      i++;
      while (i < text.length && text[i] !== ch) {
        if (ch === '"' && text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] === '\n') line++;
        value += text[i++];
      }
      i++; // the closing quote (or the end of a cut text)
      tokens.push({ text: value, line: start, quoted: true });
      continue;
    }
    let value = '';
    while (i < text.length && !/\s/.test(text[i])) value += text[i++];
    tokens.push({ text: value, line: start, quoted: false });
  }
  return tokens;
}

const isOpen = (t: Token | undefined) => t !== undefined && !t.quoted && t.text === '{';
const isClose = (t: Token | undefined) => t !== undefined && !t.quoted && t.text === '}';

/** Directives a server block may have once its snippets are pasted (a real one has tens). */
const MAX_PASTED = 10_000;
/** Blocks nest this deep at most in a real Corefile (a plugin's options); deeper ones are skipped whole. */
const MAX_DEPTH = 8;

/** Where the block whose content starts at `at` ends: after its closing brace (or at the end), counted flat. */
function skipBlock(tokens: Token[], at: number): number {
  let depth = 1;
  let i = at;
  for (; i < tokens.length && depth > 0; i++) {
    if (isOpen(tokens[i])) depth++;
    else if (isClose(tokens[i])) depth--;
  }
  return i;
}

/** Reads directives from `at` up to the `}` that closes their block (or the end); returns where it stopped. */
function directives(tokens: Token[], at: number, depth = 0): { list: Directive[]; next: number } {
  const list: Directive[] = [];
  let i = at;
  while (i < tokens.length) {
    const t = tokens[i];
    if (isClose(t)) return { list, next: i + 1 };
    if (isOpen(t)) {
      // A block with no directive before it: dropped, so its closing brace does not end ours.
      i = skipBlock(tokens, i + 1);
      continue;
    }
    const d: Directive = { name: t.text, args: [], line: t.line, options: [] };
    i++;
    while (i < tokens.length && tokens[i].line === t.line && !isOpen(tokens[i]) && !isClose(tokens[i])) {
      d.args.push(tokens[i++].text);
    }
    if (isOpen(tokens[i]) && tokens[i].line === d.line) {
      if (depth < MAX_DEPTH) {
        const inner = directives(tokens, i + 1, depth + 1);
        d.options = inner.list;
        i = inner.next;
      } else i = skipBlock(tokens, i + 1);
    }
    list.push(d);
  }
  return { list, next: i };
}

export function parseCorefile(text: string): Corefile {
  const tokens = tokenize(text);
  const servers: ServerBlock[] = [];
  const snippets = new Map<string, Directive[]>();
  const imports: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const first = tokens[i];
    if (isClose(first)) {
      i++; // a stray closing brace
      continue;
    }
    if (first.text === 'import' && !first.quoted) {
      i++;
      while (i < tokens.length && tokens[i].line === first.line) imports.push(tokens[i++].text);
      continue;
    }
    const keys: string[] = [];
    while (i < tokens.length && !isOpen(tokens[i]) && !isClose(tokens[i])) {
      // Keys may be separated by commas, and may continue on the next line after a trailing comma.
      keys.push(...tokens[i].text.split(',').filter((k) => k !== ''));
      const line = tokens[i].line;
      i++;
      if (i < tokens.length && tokens[i].line !== line && !tokens[i - 1].text.endsWith(',')) break;
    }
    if (isOpen(tokens[i])) {
      const body = directives(tokens, i + 1);
      i = body.next;
      const snippet = keys.length === 1 && /^\(.+\)$/.exec(keys[0]);
      if (snippet) snippets.set(keys[0].slice(1, -1), body.list);
      else servers.push({ keys, line: first.line, directives: body.list });
      continue;
    }
    // No brace after the keys: a Corefile of one server block may leave its braces out.
    const body = directives(tokens, i);
    servers.push({ keys, line: first.line, directives: body.list });
    i = body.next;
  }
  return { servers, snippets, imports };
}

/**
 * The directives a server block runs, snippets pasted where it imports them; an import that names no
 * snippet (a file, a glob) is listed in `unresolved`, since what it adds cannot be known from here.
 */
export function pluginsOf(server: ServerBlock, corefile: Corefile): { plugins: Directive[]; unresolved: string[] } {
  const plugins: Directive[] = [];
  const unresolved: string[] = [];
  // A snippet may import snippets; a hostile Corefile could chain or fan them out without end, so the
  // pasting is bounded in depth and in directives (far beyond a real Corefile's), the rest unresolved.
  let budget = MAX_PASTED;
  const paste = (list: readonly Directive[], seen: ReadonlySet<string>) => {
    for (const d of list) {
      if (budget-- <= 0) {
        if (!unresolved.includes('…')) unresolved.push('…');
        return;
      }
      if (d.name !== 'import') {
        plugins.push(d);
        continue;
      }
      const name = d.args[0] ?? '';
      const snippet = corefile.snippets.get(name);
      if (!snippet || seen.size >= MAX_DEPTH) unresolved.push(name);
      else if (!seen.has(name)) paste(snippet, new Set([...seen, name]));
    }
  };
  paste(server.directives, new Set());
  return { plugins, unresolved };
}
