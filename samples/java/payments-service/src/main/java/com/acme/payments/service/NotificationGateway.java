package com.acme.payments.service;

import java.util.UUID;

/**
 * Sends a message to a customer through the notifications service (push, SMS or email,
 * chosen by the customer's preferences).
 */
public interface NotificationGateway {

    /**
     * Queues a notification.
     *
     * @param accountId the account the message is about
     * @param template  the template key, for example {@code payment-failed}
     * @param subject   a short subject line
     * @param body      the message text
     */
    void send(UUID accountId, String template, String subject, String body);
}
