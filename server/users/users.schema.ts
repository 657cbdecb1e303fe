import type { JSONSchemaType } from 'ajv';
import { bodySchema } from '../http/validate.ts';

export interface UserCreationReq {
  username: string;
  password: string;
  email?: string;
  realname?: string;
  comment?: string;
}

export interface UserProfile {
  email?: string;
  realname?: string;
  comment?: string;
}

export interface PasswordReq {
  old_password?: string;
  new_password: string;
}

export interface SysadminFlag {
  sysadmin_flag: boolean;
}

const text = (max: number) => ({ type: 'string', maxLength: max, nullable: true }) as const;
const email = { type: 'string', maxLength: 255, pattern: '^$|^[^@\\s]+@[^@\\s]+$', nullable: true } as const;

export const validateUserCreation = bodySchema<UserCreationReq>({
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 255 }, password: { type: 'string', maxLength: 1024 }, email, realname: text(255), comment: text(1024) },
} as JSONSchemaType<UserCreationReq>);

export const validateUserProfile = bodySchema<UserProfile>({
  type: 'object',
  additionalProperties: false,
  properties: { email, realname: text(255), comment: text(1024) },
} as JSONSchemaType<UserProfile>);

export const validatePasswordReq = bodySchema<PasswordReq>({
  type: 'object',
  additionalProperties: false,
  required: ['new_password'],
  properties: { old_password: text(1024), new_password: { type: 'string', maxLength: 1024 } },
} as JSONSchemaType<PasswordReq>);

export const validateSysadminFlag = bodySchema<SysadminFlag>({
  type: 'object',
  additionalProperties: false,
  required: ['sysadmin_flag'],
  properties: { sysadmin_flag: { type: 'boolean' } },
} as JSONSchemaType<SysadminFlag>);
