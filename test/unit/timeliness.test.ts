import fc from 'fast-check';
import { publishTimeliness } from '../../src/deadlines/timeliness.service';
import { isSmall } from '../../src/stats/disclosure-control';

// The timeliness statistic's disclosure control as a property: no published number depends on a
// withheld cell, and every published number is exact over the cells it publishes.

const count = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: 500 }));
const cell = fc.record({ requested: count, in_time: count, late: count, pending_overdue: count });
const MEASURES = ['requested', 'in_time', 'late', 'pending_overdue'] as const;
const FIELDS = { requested: 'requested', in_time: 'decidedInTime', late: 'decidedLate', pending_overdue: 'pendingOverdue' } as const;

describe('publishTimeliness', () => {
  it('changes nothing it publishes when a withheld cell takes another small value', () => {
    fc.assert(
      fc.property(
        fc.array(cell, { maxLength: 12 }),
        fc.nat(),
        fc.constantFrom(...MEASURES),
        fc.integer({ min: 1, max: 4 }),
        (cells, i, m, v) => {
          fc.pre(cells.length > 0);
          const at = i % cells.length;
          fc.pre(isSmall(cells[at][m]));
          const changed = cells.map((c, j) => (j === at ? { ...c, [m]: v } : c));
          expect(publishTimeliness(changed, undefined)).toEqual(publishTimeliness(cells, undefined));
        },
      ),
    );
  });

  it('publishes the sum of the cells of 0 or 5 and more, null only when every non-zero cell is withheld', () => {
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 12 }), (cells) => {
        const row = publishTimeliness(cells, undefined);
        for (const m of MEASURES) {
          const nonZero = cells.filter((c) => c[m] !== 0);
          const shown = nonZero.filter((c) => !isSmall(c[m]));
          expect(row[FIELDS[m]]).toBe(nonZero.length && !shown.length ? null : shown.reduce((t, c) => t + c[m], 0));
        }
        expect(row.withheldCells).toBe(cells.filter((c) => MEASURES.some((m) => isSmall(c[m]))).length);
      }),
    );
  });

  it('publishes a median over 5 decisions or more only', () => {
    expect(publishTimeliness([], { decided: 4, median_hours: 3 }).medianDecisionHours).toBeNull();
    expect(publishTimeliness([], { decided: 5, median_hours: 3 }).medianDecisionHours).toBe(3);
    expect(publishTimeliness([], undefined).medianDecisionHours).toBeNull();
    // Not when a cell of decisions is withheld: comparing ranges would place that decision.
    const cell = (in_time: number, late: number) => ({ requested: in_time + late, in_time, late, pending_overdue: 0 });
    expect(publishTimeliness([cell(6, 0), cell(0, 5)], { decided: 11, median_hours: 3 }).medianDecisionHours).toBe(3);
    expect(publishTimeliness([cell(6, 0), cell(0, 2)], { decided: 8, median_hours: 3 }).medianDecisionHours).toBeNull();
    expect(publishTimeliness([cell(3, 0), cell(0, 5)], { decided: 8, median_hours: 3 }).medianDecisionHours).toBeNull();
  });
});
