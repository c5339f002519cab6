/**
 * Reads the README's shell examples: each `curl` command, as the shell would split it, with the answer
 * documented in the comment after it. Used by test/integration/readme-examples.test.ts so that the README
 * and the server cannot drift apart.
 */

export interface CurlExample {
  /** The command as written (for test names and messages). */
  text: string;
  method: string;
  /** The path after `$U`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Raw comment text after the command (`# ...` on its line and the `#` lines that follow), or ''. */
  comment: string;
  /** Something the example cannot run here as written: a file argument, a substitution, an elided body. */
  unrunnable?: string;
}

/** The ```sh blocks of a Markdown text between two headings (matched by their text). */
export function shellBlocks(markdown: string, from: string, to: string): string[] {
  const start = markdown.indexOf(from);
  const end = markdown.indexOf(to, start);
  if (start < 0 || end < 0) throw new Error(`README has no section from '${from}' to '${to}'`);
  return [...markdown.slice(start, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

interface Command { words: string[]; text: string; comment: string }

/** Splits a block into commands (quotes, backslash-newline) with their trailing comments. */
function commands(block: string): Command[] {
  const out: Command[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let text = '';
  let i = 0;
  const endWord = () => { if (word !== undefined) words.push(word); word = undefined; };
  const endCommand = () => {
    endWord();
    if (words.length > 0) out.push({ words, text: text.trim(), comment: '' });
    words = [];
    text = '';
  };
  while (i < block.length) {
    const c = block[i]!;
    if (c === "'" || c === '"') {
      const close = block.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unclosed quote in README example: ${block.slice(i, i + 60)}`);
      word = (word ?? '') + block.slice(i + 1, close);
      text += block.slice(i, close + 1);
      i = close + 1;
    } else if (c === '\\' && block[i + 1] === '\n') {
      endWord();
      text += ' ';
      i += 2;
    } else if (c === '#' && word === undefined) {
      const eol = block.indexOf('\n', i);
      const line = block.slice(i + 1, eol < 0 ? undefined : eol);
      endCommand();
      const last = out.at(-1);
      if (last) last.comment += (last.comment ? '\n' : '') + line;
      i = eol < 0 ? block.length : eol + 1;
    } else if (c === '\n') {
      endCommand();
      i++;
    } else if (c === ' ' || c === '\t') {
      endWord();
      text += c;
      i++;
    } else {
      word = (word ?? '') + c;
      text += c;
      i++;
    }
  }
  endCommand();
  return out;
}

/** The `curl` commands of the blocks (other commands, such as `U=...` or `python3`, are left out). */
export function curlExamples(blocks: string[]): CurlExample[] {
  const out: CurlExample[] = [];
  for (const block of blocks) {
    for (const { words, text, comment } of commands(block)) {
      if (words[0] !== 'curl') continue;
      const example: CurlExample = { text, method: 'GET', path: '', headers: {}, comment };
      for (let i = 1; i < words.length; i++) {
        const w = words[i]!;
        if (w === '-X') example.method = words[++i]!;
        else if (w === '-H') {
          const [name, ...value] = words[++i]!.split(':');
          example.headers[name!.trim().toLowerCase()] = value.join(':').trim();
        } else if (w === '-d' || w === '--data-binary') {
          example.body = words[++i]!;
          if (example.method === 'GET') example.method = 'POST';
          if (example.body.startsWith('@')) example.unrunnable = `reads the file ${example.body.slice(1)}`;
          else if (example.body === '...') example.unrunnable = 'its body is elided';
        } else if (w === '-s') continue;
        else if (w.startsWith('$U')) example.path = w.slice(2);
        else example.unrunnable = `uses ${w}`;
      }
      if (/\$\(/.test(text)) example.unrunnable = 'uses a command substitution';
      if (!example.path) example.unrunnable ??= 'has no $U URL';
      out.push(example);
    }
  }
  return out;
}

/**
 * The answer a comment documents: an optional status, then a JSON text that may elide with `...`
 * (`# 200 {"live":true}`, `# {"name":...}`). A comment that is prose (`# metadata (latest READY version)`)
 * documents none.
 */
export function documentedAnswer(comment: string): { status?: number; json: string } | undefined {
  const text = comment.split('\n').map((l) => l.replace(/^ ?/, '')).join('\n').trim();
  const m = /^(?:(\d{3}) )?(\{[\s\S]*)$/.exec(text);
  if (!m) return undefined;
  // The JSON runs to its closing brace; prose may follow it ("... once every model folder has been tried").
  let depth = 0;
  let inString = false;
  for (let i = 0; i < m[2]!.length; i++) {
    const c = m[2]![i]!;
    if (inString) { if (c === '\\') i++; else if (c === '"') inString = false; continue; }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return { ...(m[1] ? { status: Number(m[1]) } : {}), json: m[2]!.slice(0, i + 1) };
    }
  }
  throw new Error(`README comment has an unbalanced JSON answer: ${text.slice(0, 80)}`);
}

/**
 * A pattern for the compact JSON of an answer, from documented JSON: `...` stands for anything, white
 * space is free, and a decimal number matches the server's number cut after the digits shown (0.2350
 * matches 0.23504); everything else is literal.
 */
export function answerPattern(documented: string): RegExp {
  const parts = documented.split('...').map((piece) => {
    let out = '';
    for (const token of piece.match(/-?\d+\.\d+|\s+|[\s\S]/g) ?? []) {
      if (/^\s+$/.test(token)) out += '\\s*';
      else if (/^-?\d+\.\d+$/.test(token)) out += `${token.replace('.', '\\.')}\\d*`;
      else out += token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
    return out;
  });
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`);
}
