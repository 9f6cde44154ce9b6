package com.acme.payments.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.LocalDate;
import java.util.UUID;

/**
 * One executed (or attempted) payment of a standing order.
 */
@Entity
@Table(name = "payments")
public class Payment {

    @Id
    private UUID id;

    @Column(name = "standing_order_id", nullable = false)
    private UUID standingOrderId;

    @Column(name = "account_id", nullable = false)
    private UUID accountId;

    @Embedded
    private Money amount;

    @Column(name = "execution_date", nullable = false)
    private LocalDate executionDate;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private PaymentStatus status;

    @Column(name = "failure_reason")
    private String failureReason;

    protected Payment() {
        // for JPA
    }

    private Payment(StandingOrder order, LocalDate executionDate, PaymentStatus status, String failureReason) {
        this.id = UUID.randomUUID();
        this.standingOrderId = order.getId();
        this.accountId = order.getAccountId();
        this.amount = order.getAmount();
        this.executionDate = executionDate;
        this.status = status;
        this.failureReason = failureReason;
    }

    /** A payment that left the account. */
    public static Payment succeeded(StandingOrder order, LocalDate executionDate) {
        return new Payment(order, executionDate, PaymentStatus.SUCCEEDED, null);
    }

    /** A payment that could not be made, with the reason shown to the customer. */
    public static Payment failed(StandingOrder order, LocalDate executionDate, String reason) {
        return new Payment(order, executionDate, PaymentStatus.FAILED, reason);
    }

    public UUID getId() {
        return id;
    }

    public UUID getStandingOrderId() {
        return standingOrderId;
    }

    public UUID getAccountId() {
        return accountId;
    }

    public Money getAmount() {
        return amount;
    }

    public LocalDate getExecutionDate() {
        return executionDate;
    }

    public PaymentStatus getStatus() {
        return status;
    }

    public String getFailureReason() {
        return failureReason;
    }
}
