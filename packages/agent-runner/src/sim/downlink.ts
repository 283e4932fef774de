/** DISABLE_SEND command word, big-endian on the wire (docs/wire-format.md (f), collector/server_command.h). */
export const DISABLE_SEND = 0xe5c94272c6a3028fn;

/**
 * The server → agent byte stream: 8-byte big-endian command words (kernel_collector.cc@3598385a:541-579). The
 * accumulator lives as long as the process, across reconnects, as the agent's does.
 */
export class CommandDecoder {
  private word = 0n;
  private n = 0;
  /** Feeds bytes; calls `onCommand` for every complete word. */
  push(bytes: Uint8Array, onCommand: (word: bigint) => void): void {
    for (const b of bytes) {
      this.word = ((this.word << 8n) | BigInt(b)) & 0xffffffffffffffffn;
      if (++this.n === 8) {
        const w = this.word;
        this.word = 0n;
        this.n = 0;
        onCommand(w);
      }
    }
  }
}
