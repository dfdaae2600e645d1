import { describe, expect, it } from 'vitest';
import { globalIdOf } from '../../src/domain/ids.js';
import type { Charge } from '../../src/domain/model.js';
import { openLedger } from '../../src/ledger/index.js';
import { startRetention } from '../../src/ledger/retention.js';
import { paidCharge } from '../support/charges.js';
import { captureLogs } from '../support/harness.js';

/**
 * LEDGER_RETENTION_DAYS at work (src/ledger/retention.ts): a sweep runs as soon as it starts, deletes
 * what is past retention and says so in one line. What a sweep deletes, batch by batch and on every
 * engine, is the ledger contract's (test/ledger/store.test.ts).
 */
const DAY_MS = 24 * 3_600_000;

function charge(id: string, status: Charge['status'], createdAt: Date): Charge {
  return { ...paidCharge(0), providerId: id, status, providerStatus: status.toLowerCase(), createdAt };
}

describe('the retention sweep', () => {
  it('deletes final transactions past LEDGER_RETENTION_DAYS at start, and logs what it deleted', async () => {
    const capture = captureLogs();
    const ledger = await openLedger({ engine: 'sqlite', path: null }, capture.logger);
    const longAgo = new Date(Date.now() - 100 * DAY_MS);
    const lastMonth = new Date(Date.now() - 20 * DAY_MS);
    const old = charge('ch_old', 'PENDING', longAgo);
    const recent = charge('ch_recent', 'PENDING', longAgo);
    await ledger.project([
      { cursor: '1-0', occurredAt: longAgo, transaction: old },
      { cursor: '2-0', occurredAt: longAgo, transaction: recent },
      { cursor: '3-0', occurredAt: longAgo, transaction: { ...old, status: 'CANCELED' } },
      { cursor: '4-0', occurredAt: lastMonth, transaction: { ...recent, status: 'FAILED' } },
    ]);
    const retention = startRetention(ledger, 30, capture.logger);
    try {
      // The sweep under way since the start, or a new one if it finished: either way, done after this.
      await retention.sweep();
      const left = await ledger.list({}, 10, null);
      expect(left.entries.map(({ entry }) => entry.id)).toEqual([globalIdOf(recent)]);
      expect(
        capture.lines.some((line) => line.includes('ledger: deleted rows past LEDGER_RETENTION_DAYS')),
      ).toBe(true);
    } finally {
      await retention.stop();
      await ledger.close();
    }
  });
});
