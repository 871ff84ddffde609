// Email behind one small interface: SMTP through nodemailer when SMTP_URL is
// set; otherwise (the embedded default) each message is built by the same
// nodemailer pipeline and written as an .eml file under DATA_DIR/mail, and
// logged, so `npm start` shows what a customer would get.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from '../logger.js';
import type { EmailPayload } from './delivery.entity.js';
import { errorSummary } from '../broker/retry.js';

export interface OutgoingEmail extends EmailPayload {
  /** Deterministic (see messageIdFor): a receiver that got the message twice can tell. */
  messageId: string;
}

export interface MailOutcome {
  ok: boolean;
  /** A failure that retrying cannot fix (the server refused the message for good: SMTP 5xx). */
  permanent: boolean;
  /** The SMTP reply code, when there was one. */
  statusCode: number | null;
  error: string | null;
}

export interface Mailer {
  readonly kind: 'smtp' | 'files';
  send(email: OutgoingEmail): Promise<MailOutcome>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Where .eml files go without SMTP_URL. */
  mailDir: string;
}

/** `<eventId.channel@domain>`: the same for every try of one message, different for every other. */
export function messageIdFor(eventId: string, channel: string, mailFrom: string): string {
  const domain = /@([^\s@<>]+)>?\s*$/.exec(mailFrom)?.[1] ?? 'localhost';
  return `<${eventId}.${channel.toLowerCase()}@${domain}>`;
}

export function createMailer(options: MailerOptions, logger: Logger): Mailer {
  return options.smtpUrl ? smtpMailer(options.smtpUrl, options.mailFrom) : fileMailer(options, logger);
}

function smtpMailer(smtpUrl: string, mailFrom: string): Mailer {
  // Bounded waits: a mail server that stops answering holds a sender (and its renewed lease) only this long.
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    kind: 'smtp',
    async send(email) {
      try {
        const info = await transport.sendMail(message(email, mailFrom));
        const code = Number(/^(\d{3})/.exec(String(info.response ?? ''))?.[1]);
        return { ok: true, permanent: false, statusCode: Number.isInteger(code) ? code : null, error: null };
      } catch (error) {
        const responseCode = (error as { responseCode?: unknown }).responseCode;
        const statusCode = typeof responseCode === 'number' ? responseCode : null;
        return {
          ok: false,
          permanent: statusCode !== null && statusCode >= 500,
          statusCode,
          error: errorSummary(error),
        };
      }
    },
    close: () => transport.close(),
  };
}

function fileMailer(options: MailerOptions, logger: Logger): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'files',
    async send(email) {
      try {
        const info = await transport.sendMail(message(email, options.mailFrom));
        // Named by the message id: writing the same message again replaces the file, never adds one.
        const path = join(options.mailDir, `${email.messageId.replace(/[^\w.@-]/g, '')}.eml`);
        await writeCreatingDir(path, options.mailDir, info.message as Buffer);
        logger.info({ to: email.to, subject: email.subject, path }, 'email written (no SMTP_URL set)');
        return { ok: true, permanent: false, statusCode: null, error: null };
      } catch (error) {
        return { ok: false, permanent: false, statusCode: null, error: errorSummary(error) };
      }
    },
    close: () => transport.close(),
  };
}

/** Writes the file, making its directory only when it is missing (not a mkdir before every email). */
async function writeCreatingDir(path: string, dir: string, content: Buffer): Promise<void> {
  try {
    await writeFile(path, content);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    await writeFile(path, content);
  }
}

function message(email: OutgoingEmail, from: string) {
  return { from, to: email.to, subject: email.subject, text: email.text, html: email.html, messageId: email.messageId };
}
