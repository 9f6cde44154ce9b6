package com.acme.payments.domain;

import com.acme.payments.exception.InvalidStatusTransitionException;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.time.LocalDate;
import java.util.UUID;

/**
 * A recurring payment of a fixed amount from an account to a payee.
 */
@Entity
@Table(name = "standing_orders")
public class StandingOrder {

    @Id
    private UUID id;

    @Column(name = "account_id", nullable = false)
    private UUID accountId;

    @ManyToOne(fetch = FetchType.LAZY, optional = false)
    @JoinColumn(name = "payee_id")
    private Payee payee;

    @Embedded
    private Money amount;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private Frequency frequency;

    @Column(name = "start_date", nullable = false)
    private LocalDate startDate;

    @Column(name = "end_date")
    private LocalDate endDate;

    @Column(name = "next_payment_date")
    private LocalDate nextPaymentDate;

    @Column(name = "paused_until")
    private LocalDate pausedUntil;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private StandingOrderStatus status = StandingOrderStatus.ACTIVE;

    @Column(length = 18)
    private String reference;

    @Column(name = "payments_made", nullable = false)
    private int paymentsMade;

    @Version
    private long version;

    protected StandingOrder() {
        // for JPA
    }

    public StandingOrder(UUID accountId, Payee payee, Money amount, Frequency frequency,
                         LocalDate startDate, String reference) {
        this.id = UUID.randomUUID();
        this.accountId = accountId;
        this.payee = payee;
        this.amount = amount;
        this.frequency = frequency;
        this.startDate = startDate;
        this.nextPaymentDate = startDate;
        this.reference = reference;
    }

    /**
     * Pauses payments until (and excluding) the given date.
     *
     * @param until the first date on which payments may resume
     */
    public void pause(LocalDate until) {
        if (until == null || (nextPaymentDate != null && !until.isAfter(nextPaymentDate))) {
            throw new IllegalArgumentException("pause must end after the next payment date");
        }
        moveTo(StandingOrderStatus.PAUSED);
        this.pausedUntil = until;
    }

    /**
     * Resumes a paused order; the next payment is the first scheduled date on or after
     * {@code today} that is not before the end of the pause.
     *
     * @param today the current business date
     */
    public void resume(LocalDate today) {
        moveTo(StandingOrderStatus.ACTIVE);
        LocalDate earliest = pausedUntil != null && pausedUntil.isAfter(today) ? pausedUntil : today;
        while (nextPaymentDate.isBefore(earliest)) {
            nextPaymentDate = frequency.advance(nextPaymentDate, startDate.getDayOfMonth());
        }
        pausedUntil = null;
    }

    /** Cancels the order; no further payments will be made. */
    public void cancel() {
        moveTo(StandingOrderStatus.CANCELLED);
        nextPaymentDate = null;
        pausedUntil = null;
    }

    /**
     * Whether a payment should be made on the given date.
     *
     * @param date the business date being processed
     * @return true for an active order whose next payment date has arrived
     */
    public boolean isDueOn(LocalDate date) {
        if (status != StandingOrderStatus.ACTIVE || nextPaymentDate == null) {
            return false;
        }
        return !nextPaymentDate.isAfter(date);
    }

    /**
     * Records a successful payment and moves the schedule on, completing the order when
     * the next date would fall after the end date.
     *
     * @param nextDate the next scheduled payment date
     */
    public void recordPayment(LocalDate nextDate) {
        paymentsMade++;
        if (endDate != null && nextDate.isAfter(endDate)) {
            moveTo(StandingOrderStatus.COMPLETED);
            nextPaymentDate = null;
            return;
        }
        nextPaymentDate = nextDate;
    }

    private void moveTo(StandingOrderStatus target) {
        if (!status.canTransitionTo(target)) {
            throw new InvalidStatusTransitionException(id, status, target);
        }
        status = target;
    }

    public UUID getId() {
        return id;
    }

    public UUID getAccountId() {
        return accountId;
    }

    public Payee getPayee() {
        return payee;
    }

    public Money getAmount() {
        return amount;
    }

    public void setAmount(Money amount) {
        this.amount = amount;
    }

    public Frequency getFrequency() {
        return frequency;
    }

    public LocalDate getStartDate() {
        return startDate;
    }

    public LocalDate getEndDate() {
        return endDate;
    }

    public void setEndDate(LocalDate endDate) {
        this.endDate = endDate;
    }

    public LocalDate getNextPaymentDate() {
        return nextPaymentDate;
    }

    public LocalDate getPausedUntil() {
        return pausedUntil;
    }

    public StandingOrderStatus getStatus() {
        return status;
    }

    public String getReference() {
        return reference;
    }

    public void setReference(String reference) {
        this.reference = reference;
    }

    public int getPaymentsMade() {
        return paymentsMade;
    }
}
