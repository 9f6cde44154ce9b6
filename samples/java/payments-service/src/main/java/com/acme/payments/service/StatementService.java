package com.acme.payments.service;

import com.acme.payments.domain.Account;
import com.acme.payments.domain.Money;
import com.acme.payments.domain.Payment;
import com.acme.payments.domain.PaymentStatus;
import com.acme.payments.repository.PaymentRepository;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.LocalDate;
import java.time.YearMonth;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Summarises the standing-order payments of an account for its monthly statement.
 */
@Service
@Transactional(readOnly = true)
public class StatementService {

    /** Totals shown in the "Regular payments" box of the statement. */
    public record StandingOrderSummary(UUID accountId, YearMonth month, Money totalPaid,
                                       int paymentsMade, int paymentsFailed, List<Payment> payments) {
    }

    private final PaymentRepository payments;
    private final AccountService accountService;

    public StatementService(PaymentRepository payments, AccountService accountService) {
        this.payments = payments;
        this.accountService = accountService;
    }

    /**
     * Builds the regular-payments summary of one calendar month.
     *
     * @param accountId the account
     * @param month     the statement month
     * @return totals and the payments, oldest first
     */
    public StandingOrderSummary monthlySummary(UUID accountId, YearMonth month) {
        Account account = accountService.getAccount(accountId);
        LocalDate from = month.atDay(1);
        LocalDate to = month.atEndOfMonth();
        List<Payment> inMonth = payments.findByAccountIdAndExecutionDateBetween(accountId, from, to).stream()
                .sorted(Comparator.comparing(Payment::getExecutionDate))
                .toList();
        Money total = totalSucceeded(inMonth, account.getBalance().getCurrency());
        int failed = (int) inMonth.stream().filter(p -> p.getStatus() == PaymentStatus.FAILED).count();
        return new StandingOrderSummary(accountId, month, total, inMonth.size() - failed, failed, inMonth);
    }

    /**
     * Adds up the payments that succeeded.
     *
     * @param paymentList the payments
     * @param currency    the account currency
     * @return the total paid out
     */
    public Money totalSucceeded(List<Payment> paymentList, String currency) {
        Money total = Money.zero(currency);
        for (Payment payment : paymentList) {
            if (payment.getStatus() == PaymentStatus.SUCCEEDED) {
                total = total.plus(payment.getAmount());
            }
        }
        return total;
    }
}
