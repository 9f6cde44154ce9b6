package com.acme.payments.domain;

import com.acme.payments.exception.AccountNotOperationalException;
import com.acme.payments.exception.InsufficientFundsException;
import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

import java.util.UUID;

/**
 * A current or savings account held by one customer.
 */
@Entity
@Table(name = "accounts")
public class Account {

    @Id
    private UUID id;

    @Column(name = "customer_id", nullable = false)
    private UUID customerId;

    @Column(name = "sort_code", nullable = false, length = 6)
    private String sortCode;

    @Column(name = "account_number", nullable = false, length = 8)
    private String accountNumber;

    @Column(nullable = false)
    private String nickname;

    @Embedded
    private Money balance;

    @Embedded
    @AttributeOverride(name = "amount", column = @Column(name = "overdraft_limit"))
    @AttributeOverride(name = "currency", column = @Column(name = "overdraft_currency"))
    private Money overdraftLimit;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private AccountStatus status = AccountStatus.OPEN;

    @Version
    private long version;

    protected Account() {
        // for JPA
    }

    public Account(UUID customerId, String sortCode, String accountNumber, String currency) {
        this.id = UUID.randomUUID();
        this.customerId = customerId;
        this.sortCode = sortCode;
        this.accountNumber = accountNumber;
        this.nickname = "Current account";
        this.balance = Money.zero(currency);
        this.overdraftLimit = Money.zero(currency);
    }

    /**
     * Funds that can be spent now: the balance plus any arranged overdraft.
     *
     * @return the available funds
     */
    public Money availableFunds() {
        if (status != AccountStatus.OPEN) {
            return Money.zero(balance.getCurrency());
        }
        return balance.plus(overdraftLimit);
    }

    /**
     * Takes money out of the account.
     *
     * @param amount a positive amount in the account currency
     * @throws InsufficientFundsException when the available funds do not cover it
     */
    public void debit(Money amount) {
        requireOperational();
        requirePositive(amount);
        if (amount.isGreaterThan(availableFunds())) {
            throw new InsufficientFundsException(id, amount, availableFunds());
        }
        balance = balance.minus(amount);
    }

    /**
     * Pays money into the account. Frozen accounts may still receive money.
     *
     * @param amount a positive amount in the account currency
     */
    public void credit(Money amount) {
        if (status == AccountStatus.CLOSED) {
            throw new AccountNotOperationalException(id, status);
        }
        requirePositive(amount);
        balance = balance.plus(amount);
    }

    /**
     * Closes the account; only an account with a zero balance can be closed.
     */
    public void close() {
        if (balance.isPositive() || balance.isNegative()) {
            throw new IllegalStateException("account " + id + " must have a zero balance to close");
        }
        status = AccountStatus.CLOSED;
    }

    /** Freezes an open account, for example while fraud is investigated. */
    public void freeze() {
        requireOperational();
        status = AccountStatus.FROZEN;
    }

    /** The account number with all but the last four digits hidden. */
    public String maskedAccountNumber() {
        int visible = Math.min(4, accountNumber.length());
        String tail = accountNumber.substring(accountNumber.length() - visible);
        return "*".repeat(accountNumber.length() - visible) + tail;
    }

    private void requireOperational() {
        if (status != AccountStatus.OPEN) {
            throw new AccountNotOperationalException(id, status);
        }
    }

    private static void requirePositive(Money amount) {
        if (amount == null || !amount.isPositive()) {
            throw new IllegalArgumentException("amount must be positive");
        }
    }

    public UUID getId() {
        return id;
    }

    public UUID getCustomerId() {
        return customerId;
    }

    public String getSortCode() {
        return sortCode;
    }

    public String getAccountNumber() {
        return accountNumber;
    }

    public String getNickname() {
        return nickname;
    }

    public void setNickname(String nickname) {
        this.nickname = nickname;
    }

    public Money getBalance() {
        return balance;
    }

    public Money getOverdraftLimit() {
        return overdraftLimit;
    }

    public void setOverdraftLimit(Money overdraftLimit) {
        this.overdraftLimit = overdraftLimit;
    }

    public AccountStatus getStatus() {
        return status;
    }
}
