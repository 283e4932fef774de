/**
 * Userspace's UDP socket table, simulated from the dump: a BPF sk gets the pool index the agent's allocator hands
 * out (0, 1, 2, … then freed indices, last freed first: util/pool_allocator.h@3598385a:59-98; insert/erase at
 * buffered_poller.cc@3598385a:895, 958), and that index is the intake's sk_id. A new session starts a new pool.
 */
export interface UdpEntry { id: number; reported: boolean; pid?: number }

export class UdpPool {
  private readonly bySk = new Map<string, UdpEntry>();
  private free: number[] = [];
  private next = 0;

  has(sk: string): boolean {
    return this.bySk.has(sk);
  }
  get(sk: string): UdpEntry | undefined {
    return this.bySk.get(sk);
  }
  /** The entry for a new socket, or undefined for a duplicate insert (userspace logs it and sends nothing). */
  insert(sk: string, reported: boolean): UdpEntry | undefined {
    if (this.bySk.has(sk)) return undefined;
    const e = { id: this.free.length ? this.free.pop()! : this.next++, reported };
    this.bySk.set(sk, e);
    return e;
  }
  /** The live entry holding pool index `id`. */
  byId(id: number): UdpEntry | undefined {
    for (const e of this.bySk.values()) if (e.id === id) return e;
    return undefined;
  }
  /** The socket's entry, its index freed. */
  erase(sk: string): UdpEntry | undefined {
    const e = this.bySk.get(sk);
    if (!e) return undefined;
    this.bySk.delete(sk);
    this.free.push(e.id);
    return e;
  }
  reset(): void {
    this.bySk.clear();
    this.free = [];
    this.next = 0;
  }
}
