import { describe, expect, it } from 'vitest';
import { SchedulerApiError } from '../../client/index.js';
import { cancelCreated } from '../../scripts/smoke.js';

type Status = 'active' | 'paused' | 'completed' | 'cancelled';

/** A client whose once job finishes between the smoke test's read and its cancel. */
function racingClient(afterCancel: Status) {
  const reads: Status[] = ['active', afterCancel];
  const cancels: string[] = [];
  const client = {
    getJob: async (id: string) => ({ id, status: reads.shift() ?? afterCancel }),
    cancelJob: async (id: string) => {
      cancels.push(id);
      throw new SchedulerApiError(409, 'conflict', `job ${id} is already completed`, []);
    },
  };
  return { client, cancels };
}

describe('smoke test cleanup', () => {
  it('counts a once job that completed between the read and the cancel as cleaned up', async () => {
    // Arrange
    const { client, cancels } = racingClient('completed');
    // Act
    const ended = await cancelCreated(client as never, ['job_1']);
    // Assert
    expect(cancels).toEqual(['job_1']);
    expect(ended).toEqual([{ id: 'job_1', status: 'completed' }]);
  });

  it('still fails when the cancel is refused and the job is still active', async () => {
    // Arrange
    const { client } = racingClient('active');
    // Act / Assert
    await expect(cancelCreated(client as never, ['job_1'])).rejects.toThrow(/already completed/);
  });

  it('cancels an active job and leaves an ended one alone', async () => {
    // Arrange
    const cancelled: string[] = [];
    const client = {
      getJob: async (id: string) => ({ id, status: id === 'job_done' ? 'completed' : 'active' }),
      cancelJob: async (id: string) => {
        cancelled.push(id);
        return { id, status: 'cancelled' };
      },
    };
    // Act
    const ended = await cancelCreated(client as never, ['job_live', 'job_done']);
    // Assert
    expect(cancelled).toEqual(['job_live']);
    expect(ended.map((j) => j.status)).toEqual(['cancelled', 'completed']);
  });
});
