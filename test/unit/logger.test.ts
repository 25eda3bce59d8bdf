import { serializeError, withoutSqlValues } from '../../src/shared/logger';

describe('withoutSqlValues', () => {
  it('replaces the literals of a statement with ?, quotes inside strings included', () => {
    expect(withoutSqlValues("insert into `users` (`email`, `n`) values ('o''brien@example.com', -1.5e3) returning `id` - database is locked")).toBe(
      'insert into `users` (`email`, `n`) values (?, ?) returning `id` - database is locked',
    );
    expect(withoutSqlValues("update `users` set `password_hash` = '$2b$12$abc' where `id` = 7")).toBe('update `users` set `password_hash` = ? where `id` = ?');
  });

  it('leaves text without a statement alone', () => {
    expect(withoutSqlValues("Unknown role 'x' for user 5")).toBe("Unknown role 'x' for user 5");
  });
});

describe('serializeError', () => {
  it("keeps name, code and the template; drops the driver's value fields; keeps stack frames as they are", () => {
    const error = Object.assign(new Error("insert into `users` (`email`) values ('ada@example.com') - duplicate key value"), {
      code: '23505',
      detail: 'Key (email)=(ada@example.com) already exists.',
      parameters: ['ada@example.com'],
    });
    const serialized = serializeError(error) as Record<string, unknown>;
    expect(serialized).toMatchObject({ type: 'Error', code: '23505', message: 'insert into `users` (`email`) values (?) - duplicate key value' });
    expect(JSON.stringify(serialized)).not.toContain('ada@example.com');
    expect(serialized.stack).toMatch(/logger\.test\.ts:\d+:\d+/);
  });
});
