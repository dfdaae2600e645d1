/**
 * The simulators' in-memory tables. IDs come from a per-table sequence with an optional prefix, so
 * elopage objects get numeric IDs (`1087`) and elepay objects prefixed ones (`ch_…`).
 */
export class SandboxTable<T> {
  private readonly rows = new Map<string, T>();
  private next: number;

  constructor(
    private readonly prefix: string,
    firstId: number,
  ) {
    this.next = firstId;
  }

  nextId(): string {
    const id = `${this.prefix}${this.next}`;
    this.next += 1;
    return id;
  }

  insert(id: string, row: T): T {
    this.rows.set(id, row);
    return row;
  }

  get(id: string): T | undefined {
    return this.rows.get(id);
  }

  delete(id: string): boolean {
    return this.rows.delete(id);
  }

  all(): T[] {
    return [...this.rows.values()];
  }
}
