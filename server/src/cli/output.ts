/**
 * Where a command's words go. Results go to stdout: with `--json` as exactly one JSON document, else as
 * lines of text. Notes meant for the person at the shell (a secret is shown once, a limit is exceeded) go
 * to stderr, so that a script reading stdout never has to skip them.
 */

/** What the CLI writes to: `process.stdout` and `process.stderr` in the program, buffers in tests. */
export interface TextSink {
  write(text: string): void;
}

export interface Output {
  /** Whether `--json` asked for one JSON document instead of text. */
  readonly json: boolean;
  /** One line of text on stdout. */
  line(text?: string): void;
  /** One line on stderr, for the person rather than the script. */
  note(text: string): void;
  /** `value` as a JSON document on stdout, whatever `--json` says. */
  document(value: unknown): void;
  /** The result: `document` with `--json`, else whatever `text` prints. */
  emit(document: unknown, text: () => void): void;
}

export function createOutput(stdout: TextSink, stderr: TextSink, json: boolean): Output {
  const output: Output = {
    json,
    line: (text = '') => stdout.write(`${text}\n`),
    note: (text) => stderr.write(`${text}\n`),
    document: (value) => output.line(JSON.stringify(value, null, 2)),
    emit: (document, text) => (json ? output.document(document) : text()),
  };
  return output;
}

