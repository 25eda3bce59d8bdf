// A small typed GraphQL client: plain fetch and the generated TypedDocumentNode documents of src/client.
// The compiler checks every variable sent and every field read against the operations in
// schema/operations; an expired access token is refreshed once, and the request sent again.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { LoginDocument, RefreshTokenDocument, SignupDocument, type LoginInput, type SignupInput } from '../../src/client/graphql';

/** A GraphQL error as the API sends it: a stable code and, where it helps, a reason. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly reason: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLBody<TData> {
  data?: TData | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

interface TokenPair {
  accessToken: string;
  refreshToken: string | null;
}

export class ApiClient {
  private tokens: TokenPair | undefined;
  /** How many times an expired access token was exchanged for a new one. */
  refreshes = 0;

  constructor(private readonly url: string) {}

  async signup(input: SignupInput) {
    const { signup } = await this.send(SignupDocument, { input });
    this.tokens = signup;
    return signup.user;
  }

  async login(input: LoginInput) {
    const { login } = await this.send(LoginDocument, { input });
    this.tokens = login;
    return login.user;
  }

  /** Run an operation as the signed-in user; on TOKEN_EXPIRED, refresh once and run it again. */
  async request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: NoInfer<TVariables>): Promise<TData> {
    try {
      return await this.send(document, variables);
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'TOKEN_EXPIRED' && this.tokens?.refreshToken)) throw error;
      const { refreshToken } = await this.send(RefreshTokenDocument, { token: this.tokens.refreshToken });
      this.tokens = refreshToken;
      this.refreshes += 1;
      return this.send(document, variables);
    }
  }

  private async send<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: NoInfer<TVariables>): Promise<TData> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.tokens ? { authorization: `Bearer ${this.tokens.accessToken}` } : {}),
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    const body = (await response.json()) as GraphQLBody<TData>;
    const error = body.errors?.[0];
    if (error) throw new ApiError(error.message, error.extensions?.code, error.extensions?.reason);
    if (!body.data) throw new ApiError(`No data in an answer with status ${response.status}`, undefined, undefined);
    return body.data;
  }
}
