// What the rest of the service may use of accounts and sessions.
export { AuthResolver } from './auth.resolver.js';
export { AuthService } from './auth.service.js';
export { UserType } from './auth.types.js';
export { Authenticator } from './authenticate.js';
export { normalizeEmail, validatePassword } from './credentials.js';
export { RefreshToken } from './refresh-token.entity.js';
export { Role } from './role.js';
export { bearerToken, type TokenSettings, type Viewer } from './tokens.js';
export { User } from './user.entity.js';
