// Two popular GraphQL clients, each in its default set-up plus an auth header, against the live server:
// sign up, call me, and see UNAUTHENTICATED with its reason for a bad token. urql sends queries as GET.
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { cacheExchange, Client, fetchExchange } from '@urql/core';
import { MeDocument, SignupDocument } from '../../src/client/graphql';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function signupInput(who: string) {
  return { input: { name: who, email: `${who}@example.com`, password: TEST_PASSWORD } };
}

/** Every request the server saw, by method: to show which method a client used. */
function countMethods(): { methods: string[]; stop(): void } {
  const methods: string[] = [];
  const listener = (req: { method?: string; url?: string }) => {
    if (req.url?.startsWith('/graphql')) methods.push(req.method ?? '');
  };
  server.app.server.on('request', listener);
  return { methods, stop: () => server.app.server.off('request', listener) };
}

describe('Apollo Client', () => {
  function apollo(token?: string) {
    return new ApolloClient({
      link: new HttpLink({ uri: server.url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
      cache: new InMemoryCache(),
    });
  }

  it('signs up, then reads me with the access token', async () => {
    const signup = await apollo().mutate({ mutation: SignupDocument, variables: signupInput('apollo') });
    const { accessToken, user } = signup.data!.signup;
    const me = await apollo(accessToken).query({ query: MeDocument });
    expect(me.data?.me).toMatchObject({ id: user.id, email: 'apollo@example.com' });
  });

  it('gets UNAUTHENTICATED / TOKEN_INVALID for a bad token, as CombinedGraphQLErrors', async () => {
    const error = await apollo('not.a.token').query({ query: MeDocument }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    expect((error as CombinedGraphQLErrors).errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });
});

describe('urql', () => {
  function urql(token?: string) {
    return new Client({
      url: server.url,
      exchanges: [cacheExchange, fetchExchange],
      fetchOptions: (): RequestInit => ({ headers: token ? { authorization: `Bearer ${token}` } : {} }),
    });
  }

  it('signs up, then reads me with the access token, the query sent as GET', async () => {
    const signup = await urql().mutation(SignupDocument, signupInput('urql')).toPromise();
    expect(signup.error).toBeUndefined();
    const { accessToken, user } = signup.data!.signup;
    const seen = countMethods();
    try {
      const me = await urql(accessToken).query(MeDocument, {}).toPromise();
      expect(me.error).toBeUndefined();
      expect(me.data?.me).toMatchObject({ id: user.id, email: 'urql@example.com' });
      expect(seen.methods).toEqual(['GET']);
    } finally {
      seen.stop();
    }
  });

  it('gets UNAUTHENTICATED / TOKEN_INVALID for a bad token', async () => {
    const me = await urql('not.a.token').query(MeDocument, {}).toPromise();
    expect(me.data).toBeNull();
    expect(me.error?.graphQLErrors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });
});
