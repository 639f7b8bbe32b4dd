/**
 * A real SMTP server in the test process (smtp-server), on 127.0.0.1: it accepts any login, refuses the
 * recipients it is told to with 550, and keeps every message it receives, parsed by mailparser.
 */
import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface SmtpTrap {
  port: number;
  messages: ParsedMail[];
  /** The logins the server saw (user names). */
  logins: string[];
  /** Recipients refused with `550 no such user`. */
  refuse: Set<string>;
  close(): Promise<void>;
}

/** A port nothing listens on (yet): for "the SMTP server is down". */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startSmtpTrap(port = 0): Promise<SmtpTrap> {
  const messages: ParsedMail[] = [];
  const logins: string[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push(auth.username ?? '');
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) return callback(Object.assign(new Error('no such user'), { responseCode: 550 }));
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.server.address() as { port: number };
  return {
    port: address.port,
    messages,
    logins,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
