package com.acme.payments.service;

import com.acme.payments.domain.Money;
import com.acme.payments.domain.Payee;
import com.acme.payments.domain.Payment;
import com.acme.payments.domain.StandingOrder;
import com.acme.payments.domain.StandingOrderStatus;
import com.acme.payments.exception.BusinessRuleException;
import com.acme.payments.exception.ResourceNotFoundException;
import com.acme.payments.repository.PaymentRepository;
import com.acme.payments.repository.StandingOrderRepository;
import com.acme.payments.web.dto.AmendStandingOrderRequest;
import com.acme.payments.web.dto.CreateStandingOrderRequest;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

/**
 * Creates, changes and executes standing orders.
 */
@Service
@Transactional
public class StandingOrderService {

    private final StandingOrderRepository orders;
    private final PaymentRepository payments;
    private final PayeeService payeeService;
    private final AccountService accountService;
    private final PaymentScheduleCalculator calculator;
    private final PaymentReferenceValidator referenceValidator;
    private final NotificationService notifications;
    private final Clock clock;

    public StandingOrderService(StandingOrderRepository orders, PaymentRepository payments,
                                PayeeService payeeService, AccountService accountService,
                                PaymentScheduleCalculator calculator,
                                PaymentReferenceValidator referenceValidator,
                                NotificationService notifications, Clock clock) {
        this.orders = orders;
        this.payments = payments;
        this.payeeService = payeeService;
        this.accountService = accountService;
        this.calculator = calculator;
        this.referenceValidator = referenceValidator;
        this.notifications = notifications;
        this.clock = clock;
    }

    /**
     * Sets up a new standing order from an account to one of its payees.
     *
     * @param accountId the paying account
     * @param request   amount, frequency, dates and reference
     * @return the saved order
     * @throws BusinessRuleException when the amount, dates or reference break a rule
     */
    public StandingOrder create(UUID accountId, CreateStandingOrderRequest request) {
        Money amount = Money.of(request.amount(), request.currency());
        if (!amount.isPositive()) {
            throw new BusinessRuleException("INVALID_AMOUNT", "amount must be greater than zero");
        }
        LocalDate today = LocalDate.now(clock);
        if (request.startDate().isBefore(today)) {
            throw new BusinessRuleException("START_DATE_IN_PAST", "start date must be today or later");
        }
        if (request.endDate() != null && request.endDate().isBefore(request.startDate())) {
            throw new BusinessRuleException("END_BEFORE_START", "end date must not be before the start date");
        }
        requireValidReference(request.reference());
        Payee payee = payeeService.getPayee(accountId, request.payeeId());
        StandingOrder order = new StandingOrder(accountId, payee, amount, request.frequency(),
                request.startDate(), referenceValidator.normalise(request.reference()));
        order.setEndDate(request.endDate());
        return orders.save(order);
    }

    /**
     * Loads one standing order.
     *
     * @param orderId the order id
     * @return the order
     */
    @Transactional(readOnly = true)
    public StandingOrder getStandingOrder(UUID orderId) {
        return orders.findById(orderId)
                .orElseThrow(() -> new ResourceNotFoundException("standing order", orderId));
    }

    /**
     * A page of an account's standing orders, optionally only those in one status.
     *
     * @param accountId the account
     * @param status    the status to filter on, or null for all
     * @param pageable  page number, size and sort
     * @return the page
     */
    @Transactional(readOnly = true)
    public Page<StandingOrder> listForAccount(UUID accountId, StandingOrderStatus status, Pageable pageable) {
        accountService.getAccount(accountId);
        if (status == null) {
            return orders.findByAccountId(accountId, pageable);
        }
        return orders.findByAccountIdAndStatus(accountId, status, pageable);
    }

    /**
     * Changes the amount, end date or reference of a live order.
     *
     * @param orderId the order id
     * @param request the fields to change; null fields stay as they are
     * @return the amended order
     */
    public StandingOrder amend(UUID orderId, AmendStandingOrderRequest request) {
        StandingOrder order = getStandingOrder(orderId);
        if (order.getStatus().isTerminal()) {
            throw new BusinessRuleException("ORDER_ENDED", "a " + order.getStatus() + " order cannot be amended");
        }
        if (request.amount() != null) {
            Money amount = Money.of(request.amount(), order.getAmount().getCurrency());
            if (!amount.isPositive()) {
                throw new BusinessRuleException("INVALID_AMOUNT", "amount must be greater than zero");
            }
            order.setAmount(amount);
        }
        if (request.endDate() != null) {
            order.setEndDate(request.endDate());
        }
        if (request.reference() != null) {
            requireValidReference(request.reference());
            order.setReference(referenceValidator.normalise(request.reference()));
        }
        return order;
    }

    /**
     * Pauses an active order until the given date.
     *
     * @param orderId the order id
     * @param until   the date payments resume
     * @return the paused order
     */
    public StandingOrder pause(UUID orderId, LocalDate until) {
        StandingOrder order = getStandingOrder(orderId);
        order.pause(until);
        notifications.standingOrderPaused(order);
        return order;
    }

    /**
     * Resumes a paused order from today.
     *
     * @param orderId the order id
     * @return the resumed order
     */
    public StandingOrder resume(UUID orderId) {
        StandingOrder order = getStandingOrder(orderId);
        order.resume(LocalDate.now(clock));
        return order;
    }

    /**
     * Cancels an order; cancelling is final.
     *
     * @param orderId the order id
     * @return the cancelled order
     */
    public StandingOrder cancel(UUID orderId) {
        StandingOrder order = getStandingOrder(orderId);
        order.cancel();
        return order;
    }

    /**
     * Pays every order due on the business date. A failed payment does not stop the run.
     *
     * @param businessDate the date being processed
     * @return the payments that were attempted
     */
    public List<Payment> executeDuePayments(LocalDate businessDate) {
        List<StandingOrder> due = orders.findDue(businessDate);
        return due.stream()
                .filter(order -> order.isDueOn(businessDate))
                .map(order -> execute(order, businessDate))
                .toList();
    }

    private Payment execute(StandingOrder order, LocalDate businessDate) {
        Payment payment;
        try {
            accountService.withdraw(order.getAccountId(), order.getAmount());
            payment = Payment.succeeded(order, businessDate);
        } catch (BusinessRuleException e) {
            payment = Payment.failed(order, businessDate, e.getCode());
            notifications.paymentFailed(order, payment);
        }
        order.recordPayment(calculator.nextPaymentDate(order, order.getNextPaymentDate()));
        return payments.save(payment);
    }

    private void requireValidReference(String reference) {
        List<String> problems = referenceValidator.problems(reference);
        if (!problems.isEmpty()) {
            throw new BusinessRuleException("INVALID_REFERENCE", String.join("; ", problems));
        }
    }
}
