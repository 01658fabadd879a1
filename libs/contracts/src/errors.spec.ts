import { describe, expect, it } from 'vitest';
import { CodedError, ContractError, errorCode } from './index.js';

describe('CodedError', () => {
  it('is the base of a coded error class: name, code, message and cause kept', () => {
    const cause = new Error('root');
    const e = new CodedError('SOME_CODE', 'went wrong', { cause });
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message, e.cause]).toEqual(['Error', 'SOME_CODE', 'went wrong', cause]);
    expect('cause' in new CodedError('X', 'no cause')).toBe(false);
    const c = new ContractError('INVALID_FIELD', 'bad', ['a', 0]);
    expect(c).toBeInstanceOf(CodedError);
    expect([c.name, c.code, c.message]).toEqual(['ContractError', 'INVALID_FIELD', 'bad (at a.0)']);
  });

  it("errorCode: a CodedError's code, a Node system error's string code, else the fallback", () => {
    expect(errorCode(new ContractError('TOO_LARGE', 'big'), 'ERROR')).toBe('TOO_LARGE');
    expect(errorCode(Object.assign(new Error('gone'), { code: 'ENOENT' }), 'ERROR')).toBe('ENOENT');
    expect(errorCode(Object.assign(new Error('exit'), { code: 3 }), 'ERROR')).toBe('ERROR');
    expect(errorCode(new Error('plain'), 'ERROR')).toBe('ERROR');
    expect(errorCode(null, 'ERROR')).toBe('ERROR');
    expect(errorCode(undefined, 'X')).toBe('X');
  });
});
