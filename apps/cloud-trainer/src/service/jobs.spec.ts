import { describe, expect, it } from 'vitest';
import { createLogger } from '@takt/runtime';
import { TrainerError } from '../errors.js';
import { TrainingJobs } from './jobs.js';

describe('training jobs', () => {
  it('run one at a time in submission order; a failed job keeps its code, and one whose bookkeeping throws does not stop the next', async () => {
    const order: string[] = [];
    let running = 0;
    let changes = 0;
    const jobs = new TrainingJobs({
      logger: createLogger('jobs-test', { level: 'silent' }),
      onChange: () => {
        changes++;
      },
      onFinished: () => undefined,
      run: async (job) => {
        running++;
        expect(running).toBe(1);
        order.push(job.model);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (job.model === 'b') throw new TrainerError('NO_DATA', 'too few windows');
        return { message: `trained ${job.model}` };
      },
    });
    const a = jobs.submit({ model: 'a', trigger: 'api', request: {} });
    const b = jobs.submit({ model: 'b', trigger: 'api', request: {} });
    // the third job's first status change throws: it is lost, the queue is not
    let thrown = false;
    const flaky = new TrainingJobs({
      logger: createLogger('jobs-test', { level: 'silent' }),
      onChange: () => {
        if (!thrown && flaky.list().some((j) => j.status === 'running')) {
          thrown = true;
          throw new Error('state file gone');
        }
      },
      run: async (job) => ({ message: `trained ${job.model}` }),
    });
    flaky.submit({ model: 'x', trigger: 'api', request: {} });
    const y = flaky.submit({ model: 'y', trigger: 'api', request: {} });
    await jobs.idle();
    await flaky.idle();
    expect(order).toEqual(['a', 'b']);
    expect(jobs.get(a.id)).toMatchObject({ status: 'succeeded', message: 'trained a' });
    expect(jobs.get(b.id)).toMatchObject({ status: 'failed', error: { code: 'NO_DATA', message: 'too few windows' } });
    expect(changes).toBeGreaterThan(0);
    expect(thrown).toBe(true);
    expect(flaky.get(y.id)).toMatchObject({ status: 'succeeded', message: 'trained y' });
  });
});
