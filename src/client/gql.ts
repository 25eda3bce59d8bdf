/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}": typeof types.ChangePasswordDocument,
    "fragment UserFields on User {\n  id\n  name\n  email\n  role\n  createdAt\n  mfaEnabled\n  emailVerified\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  accessToken\n  tokenType\n  expiresIn\n  refreshToken\n  refreshExpiresIn\n  mfaRequired\n  user {\n    ...UserFields\n  }\n}": typeof types.UserFieldsFragmentDoc,
    "mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    ...AuthPayloadFields\n  }\n}": typeof types.LoginDocument,
    "mutation Logout($scope: LogoutScope) {\n  logout(scope: $scope)\n}": typeof types.LogoutDocument,
    "query Me {\n  me {\n    ...UserFields\n  }\n}": typeof types.MeDocument,
    "mutation StartTotpEnrollment {\n  startTotpEnrollment {\n    secret\n    otpauthUrl\n    qrCodeSvg\n  }\n}\n\nmutation ConfirmTotpEnrollment($code: String!) {\n  confirmTotpEnrollment(code: $code)\n}\n\nmutation VerifyMfa($code: String!) {\n  verifyMfa(code: $code) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation DisableTotp($currentPassword: String!) {\n  disableTotp(currentPassword: $currentPassword)\n}\n\nmutation RegenerateRecoveryCodes($currentPassword: String!) {\n  regenerateRecoveryCodes(currentPassword: $currentPassword)\n}": typeof types.StartTotpEnrollmentDocument,
    "mutation RequestPasswordReset($email: String!) {\n  requestPasswordReset(email: $email)\n}\n\nmutation ResetPassword($token: String!, $newPassword: String!) {\n  resetPassword(token: $token, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation RequestEmailVerification {\n  requestEmailVerification\n}\n\nmutation VerifyEmail($token: String!) {\n  verifyEmail(token: $token) {\n    ...UserFields\n  }\n}\n\nmutation ChangeEmail($newEmail: String!, $currentPassword: String!) {\n  changeEmail(newEmail: $newEmail, currentPassword: $currentPassword)\n}": typeof types.RequestPasswordResetDocument,
    "mutation RefreshToken($token: String) {\n  refreshToken(token: $token) {\n    ...AuthPayloadFields\n  }\n}": typeof types.RefreshTokenDocument,
    "query Sessions {\n  sessions {\n    id\n    createdAt\n    lastUsedAt\n    expiresAt\n    userAgent\n    current\n  }\n}": typeof types.SessionsDocument,
    "mutation SetUserRole($id: ID!, $role: Role!) {\n  setUserRole(id: $id, role: $role) {\n    ...UserFields\n  }\n}": typeof types.SetUserRoleDocument,
    "mutation Signup($input: SignupInput!) {\n  signup(input: $input) {\n    ...AuthPayloadFields\n  }\n}": typeof types.SignupDocument,
    "query Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    nodes {\n      ...UserFields\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}": typeof types.UsersDocument,
};
const documents: Documents = {
    "mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}": types.ChangePasswordDocument,
    "fragment UserFields on User {\n  id\n  name\n  email\n  role\n  createdAt\n  mfaEnabled\n  emailVerified\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  accessToken\n  tokenType\n  expiresIn\n  refreshToken\n  refreshExpiresIn\n  mfaRequired\n  user {\n    ...UserFields\n  }\n}": types.UserFieldsFragmentDoc,
    "mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    ...AuthPayloadFields\n  }\n}": types.LoginDocument,
    "mutation Logout($scope: LogoutScope) {\n  logout(scope: $scope)\n}": types.LogoutDocument,
    "query Me {\n  me {\n    ...UserFields\n  }\n}": types.MeDocument,
    "mutation StartTotpEnrollment {\n  startTotpEnrollment {\n    secret\n    otpauthUrl\n    qrCodeSvg\n  }\n}\n\nmutation ConfirmTotpEnrollment($code: String!) {\n  confirmTotpEnrollment(code: $code)\n}\n\nmutation VerifyMfa($code: String!) {\n  verifyMfa(code: $code) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation DisableTotp($currentPassword: String!) {\n  disableTotp(currentPassword: $currentPassword)\n}\n\nmutation RegenerateRecoveryCodes($currentPassword: String!) {\n  regenerateRecoveryCodes(currentPassword: $currentPassword)\n}": types.StartTotpEnrollmentDocument,
    "mutation RequestPasswordReset($email: String!) {\n  requestPasswordReset(email: $email)\n}\n\nmutation ResetPassword($token: String!, $newPassword: String!) {\n  resetPassword(token: $token, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation RequestEmailVerification {\n  requestEmailVerification\n}\n\nmutation VerifyEmail($token: String!) {\n  verifyEmail(token: $token) {\n    ...UserFields\n  }\n}\n\nmutation ChangeEmail($newEmail: String!, $currentPassword: String!) {\n  changeEmail(newEmail: $newEmail, currentPassword: $currentPassword)\n}": types.RequestPasswordResetDocument,
    "mutation RefreshToken($token: String) {\n  refreshToken(token: $token) {\n    ...AuthPayloadFields\n  }\n}": types.RefreshTokenDocument,
    "query Sessions {\n  sessions {\n    id\n    createdAt\n    lastUsedAt\n    expiresAt\n    userAgent\n    current\n  }\n}": types.SessionsDocument,
    "mutation SetUserRole($id: ID!, $role: Role!) {\n  setUserRole(id: $id, role: $role) {\n    ...UserFields\n  }\n}": types.SetUserRoleDocument,
    "mutation Signup($input: SignupInput!) {\n  signup(input: $input) {\n    ...AuthPayloadFields\n  }\n}": types.SignupDocument,
    "query Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    nodes {\n      ...UserFields\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}": types.UsersDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}"): (typeof documents)["mutation ChangePassword($currentPassword: String!, $newPassword: String!) {\n  changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment UserFields on User {\n  id\n  name\n  email\n  role\n  createdAt\n  mfaEnabled\n  emailVerified\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  accessToken\n  tokenType\n  expiresIn\n  refreshToken\n  refreshExpiresIn\n  mfaRequired\n  user {\n    ...UserFields\n  }\n}"): (typeof documents)["fragment UserFields on User {\n  id\n  name\n  email\n  role\n  createdAt\n  mfaEnabled\n  emailVerified\n}\n\nfragment AuthPayloadFields on AuthPayload {\n  accessToken\n  tokenType\n  expiresIn\n  refreshToken\n  refreshExpiresIn\n  mfaRequired\n  user {\n    ...UserFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    ...AuthPayloadFields\n  }\n}"): (typeof documents)["mutation Login($input: LoginInput!) {\n  login(input: $input) {\n    ...AuthPayloadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Logout($scope: LogoutScope) {\n  logout(scope: $scope)\n}"): (typeof documents)["mutation Logout($scope: LogoutScope) {\n  logout(scope: $scope)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    ...UserFields\n  }\n}"): (typeof documents)["query Me {\n  me {\n    ...UserFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartTotpEnrollment {\n  startTotpEnrollment {\n    secret\n    otpauthUrl\n    qrCodeSvg\n  }\n}\n\nmutation ConfirmTotpEnrollment($code: String!) {\n  confirmTotpEnrollment(code: $code)\n}\n\nmutation VerifyMfa($code: String!) {\n  verifyMfa(code: $code) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation DisableTotp($currentPassword: String!) {\n  disableTotp(currentPassword: $currentPassword)\n}\n\nmutation RegenerateRecoveryCodes($currentPassword: String!) {\n  regenerateRecoveryCodes(currentPassword: $currentPassword)\n}"): (typeof documents)["mutation StartTotpEnrollment {\n  startTotpEnrollment {\n    secret\n    otpauthUrl\n    qrCodeSvg\n  }\n}\n\nmutation ConfirmTotpEnrollment($code: String!) {\n  confirmTotpEnrollment(code: $code)\n}\n\nmutation VerifyMfa($code: String!) {\n  verifyMfa(code: $code) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation DisableTotp($currentPassword: String!) {\n  disableTotp(currentPassword: $currentPassword)\n}\n\nmutation RegenerateRecoveryCodes($currentPassword: String!) {\n  regenerateRecoveryCodes(currentPassword: $currentPassword)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RequestPasswordReset($email: String!) {\n  requestPasswordReset(email: $email)\n}\n\nmutation ResetPassword($token: String!, $newPassword: String!) {\n  resetPassword(token: $token, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation RequestEmailVerification {\n  requestEmailVerification\n}\n\nmutation VerifyEmail($token: String!) {\n  verifyEmail(token: $token) {\n    ...UserFields\n  }\n}\n\nmutation ChangeEmail($newEmail: String!, $currentPassword: String!) {\n  changeEmail(newEmail: $newEmail, currentPassword: $currentPassword)\n}"): (typeof documents)["mutation RequestPasswordReset($email: String!) {\n  requestPasswordReset(email: $email)\n}\n\nmutation ResetPassword($token: String!, $newPassword: String!) {\n  resetPassword(token: $token, newPassword: $newPassword) {\n    ...AuthPayloadFields\n  }\n}\n\nmutation RequestEmailVerification {\n  requestEmailVerification\n}\n\nmutation VerifyEmail($token: String!) {\n  verifyEmail(token: $token) {\n    ...UserFields\n  }\n}\n\nmutation ChangeEmail($newEmail: String!, $currentPassword: String!) {\n  changeEmail(newEmail: $newEmail, currentPassword: $currentPassword)\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefreshToken($token: String) {\n  refreshToken(token: $token) {\n    ...AuthPayloadFields\n  }\n}"): (typeof documents)["mutation RefreshToken($token: String) {\n  refreshToken(token: $token) {\n    ...AuthPayloadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Sessions {\n  sessions {\n    id\n    createdAt\n    lastUsedAt\n    expiresAt\n    userAgent\n    current\n  }\n}"): (typeof documents)["query Sessions {\n  sessions {\n    id\n    createdAt\n    lastUsedAt\n    expiresAt\n    userAgent\n    current\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetUserRole($id: ID!, $role: Role!) {\n  setUserRole(id: $id, role: $role) {\n    ...UserFields\n  }\n}"): (typeof documents)["mutation SetUserRole($id: ID!, $role: Role!) {\n  setUserRole(id: $id, role: $role) {\n    ...UserFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Signup($input: SignupInput!) {\n  signup(input: $input) {\n    ...AuthPayloadFields\n  }\n}"): (typeof documents)["mutation Signup($input: SignupInput!) {\n  signup(input: $input) {\n    ...AuthPayloadFields\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    nodes {\n      ...UserFields\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}"): (typeof documents)["query Users($first: Int, $after: String) {\n  users(first: $first, after: $after) {\n    nodes {\n      ...UserFields\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    totalCount\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;