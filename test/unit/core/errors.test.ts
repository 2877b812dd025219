import { describe, expect, it } from 'vitest';
import {
  ConditionFailed,
  InvalidCursor,
  InvalidState,
  JobNotFound,
  SchedulerError,
  ValidationFailed,
} from '../../../lambdas/core/errors.js';

describe('errors', () => {
  it.each([
    [
      new ValidationFailed('bad', [{ path: 'name', message: 'too long' }]),
      'ValidationFailed',
      'validation_error',
    ],
    [new InvalidCursor(), 'InvalidCursor', 'invalid_cursor'],
    [new JobNotFound('job_X'), 'JobNotFound', 'not_found'],
    [new InvalidState('job job_X is already cancelled'), 'InvalidState', 'conflict'],
    [new ConditionFailed('lost'), 'ConditionFailed', 'condition_failed'],
  ])('%s is a SchedulerError named %s with code %s', (error, name, code) => {
    expect(error).toBeInstanceOf(SchedulerError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
  });

  it('keeps the message and details it was given', () => {
    const error = new ValidationFailed('invalid job', [{ path: 'name', message: 'too long' }]);
    expect(error.message).toBe('invalid job');
    expect(error.details).toEqual([{ path: 'name', message: 'too long' }]);
    expect(new JobNotFound('job_X').message).toBe('job job_X not found');
    expect(new InvalidCursor().details).toEqual([{ path: 'cursor', message: 'invalid cursor' }]);
  });
});
