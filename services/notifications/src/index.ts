export { createNotificationsService } from './service.ts';
export { messageIdFor } from './compose.ts';
