export { createNotificationsService } from './service.ts';
export { messageIdFor } from './compose.ts';
export { notificationErrors } from './handlers.ts';
