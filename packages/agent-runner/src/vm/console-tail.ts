/**
 * Follows the guest's console file (`-serial file:`) as qemu appends to it: complete lines to a callback, the last
 * lines kept for error messages, and the init's `flowmill-vm: [uptime] phase` marks parsed.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { GUEST_MARK } from './guest-init.js';

export interface GuestMark {
  /** Guest uptime in seconds when the init said it. */
  uptime: number;
  /** `booted …`, `kprobe tcp_connect armed`, `command starts`, `stop requested`, `exit N`, `failed: …`. */
  text: string;
}

const MARK = new RegExp(`^${GUEST_MARK} \\[([0-9.]+)\\] (.*)$`);

export function parseMark(line: string): GuestMark | undefined {
  const m = MARK.exec(line.replace(/\r$/, ''));
  return m ? { uptime: Number(m[1]), text: m[2] } : undefined;
}

export class ConsoleTail {
  private offset = 0;
  private partial = '';
  private timer?: NodeJS.Timeout;
  private readonly decoder = new TextDecoder();
  readonly last: string[] = [];

  constructor(
    private readonly file: string,
    private readonly onLine: (line: string) => void,
    private readonly keep = 20,
  ) {}

  start(everyMs = 100): void {
    this.timer = setInterval(() => this.poll(), everyMs);
  }

  /** Reads what was appended since the last call; `final` flushes a last line without its newline. */
  poll(final = false): void {
    if (!existsSync(this.file)) return;
    const fd = openSync(this.file, 'r');
    try {
      const buf = new Uint8Array(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.partial += this.decoder.decode(buf.subarray(0, n), { stream: true });
      }
    } finally {
      closeSync(fd);
    }
    const lines = this.partial.split('\n');
    this.partial = final ? '' : lines.pop()!;
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      if (!line && final) continue;
      this.last.push(line);
      if (this.last.length > this.keep) this.last.shift();
      this.onLine(line);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.poll(true);
  }
}
