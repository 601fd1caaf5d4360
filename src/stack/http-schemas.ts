import { Type } from 'typebox';
import { Strict } from '../http/schemas.js';

/** HTTP shapes of the stack builder (snake_case), used for validation and OpenAPI. */
const Port = Type.Integer({ minimum: 1, maximum: 65535 });

export const InstanceBody = Strict({
  app_id: Type.String({ minLength: 1, maxLength: 64, description: 'catalog id, e.g. mosquitto' }),
  instance_name: Type.Optional(
    Type.String({ minLength: 1, maxLength: 40, description: 'service name in the stack; defaults to the app id' }),
  ),
  ports: Type.Optional(
    Type.Record(Type.String({ pattern: '^[0-9]{1,5}$' }), Port, {
      description: 'host port per container port, e.g. {"1883": 11883}',
    }),
  ),
});

// Only a length bound here: the settings parser explains what is wrong with an address, field by field.
const Email = Type.String({ maxLength: 254 });

export const SettingsBody = Strict({
  project_name: Type.Optional(Type.String({ maxLength: 63 })),
  timezone: Type.Optional(Type.String({ maxLength: 64 })),
  reverse_proxy: Type.Optional(
    Strict({
      base_domain: Type.Optional(Type.String({ maxLength: 253 })),
      enable_https: Type.Optional(Type.Boolean()),
      letsencrypt_email: Type.Optional(Type.Union([Email, Type.Null()])),
    }),
  ),
  mqtt: Type.Optional(
    Strict({
      enable_tls: Type.Optional(Type.Boolean()),
      username: Type.Optional(Type.String({ maxLength: 64 })),
      password: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
      tls_port: Type.Optional(Port),
    }),
  ),
  oauth: Type.Optional(
    Strict({
      realm_name: Type.Optional(Type.String({ maxLength: 63 })),
      auto_configure_services: Type.Optional(Type.Boolean()),
    }),
  ),
  database: Type.Optional(Strict({ auto_register: Type.Optional(Type.Boolean()) })),
  email: Type.Optional(
    Strict({
      from_address: Type.Optional(Type.Union([Email, Type.Null()])),
      auto_configure_services: Type.Optional(Type.Boolean()),
    }),
  ),
});

export const DetectBody = Strict({
  instances: Type.Optional(Type.Array(InstanceBody, { maxItems: 100 })),
  template: Type.Optional(Type.String({ maxLength: 100 })),
  settings: Type.Optional(SettingsBody),
});

export const GenerateBody = Strict({
  instances: Type.Optional(Type.Array(InstanceBody, { maxItems: 100 })),
  template: Type.Optional(Type.String({ maxLength: 100 })),
  settings: Type.Optional(SettingsBody),
  seed: Type.Optional(
    Type.String({
      minLength: 8,
      maxLength: 200,
      description: 'same seed, same secrets; keep it as secret as they are',
    }),
  ),
});
