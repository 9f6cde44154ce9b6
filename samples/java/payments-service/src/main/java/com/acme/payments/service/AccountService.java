package com.acme.payments.service;

import com.acme.payments.domain.Account;
import com.acme.payments.domain.AccountStatus;
import com.acme.payments.domain.Money;
import com.acme.payments.exception.BusinessRuleException;
import com.acme.payments.exception.ResourceNotFoundException;
import com.acme.payments.repository.AccountRepository;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;

/**
 * Reads and updates accounts on behalf of the API and of the standing-order engine.
 */
@Service
@Transactional
public class AccountService {

    static final BigDecimal MAX_OVERDRAFT = new BigDecimal("5000.00");

    private final AccountRepository accounts;

    public AccountService(AccountRepository accounts) {
        this.accounts = accounts;
    }

    /**
     * Loads one account.
     *
     * @param accountId the account id
     * @return the account
     * @throws ResourceNotFoundException when there is no such account
     */
    @Transactional(readOnly = true)
    public Account getAccount(UUID accountId) {
        return accounts.findById(accountId)
                .orElseThrow(() -> new ResourceNotFoundException("account", accountId));
    }

    /**
     * The customer's accounts that are not closed, ordered by nickname.
     *
     * @param customerId the customer id
     * @return the accounts
     */
    @Transactional(readOnly = true)
    public List<Account> listForCustomer(UUID customerId) {
        return accounts.findByCustomerIdOrderByNicknameAsc(customerId).stream()
                .filter(account -> account.getStatus() != AccountStatus.CLOSED)
                .toList();
    }

    /**
     * Gives an account a new nickname shown in the app.
     *
     * @param accountId the account id
     * @param nickname  the new nickname, 1 to 40 characters
     * @return the updated account
     */
    public Account rename(UUID accountId, String nickname) {
        String trimmed = nickname == null ? "" : nickname.trim();
        if (trimmed.isEmpty() || trimmed.length() > 40) {
            throw new BusinessRuleException("INVALID_NICKNAME", "nickname must be 1 to 40 characters");
        }
        Account account = getAccount(accountId);
        account.setNickname(trimmed);
        return account;
    }

    /**
     * Sets the arranged overdraft, up to the bank's maximum.
     *
     * @param accountId the account id
     * @param limit     the new limit, zero to remove the overdraft
     * @return the updated account
     */
    public Account changeOverdraftLimit(UUID accountId, Money limit) {
        if (limit.isNegative() || limit.getAmount().compareTo(MAX_OVERDRAFT) > 0) {
            throw new BusinessRuleException("OVERDRAFT_LIMIT_OUT_OF_RANGE",
                    "overdraft limit must be between 0 and " + MAX_OVERDRAFT);
        }
        Account account = getAccount(accountId);
        Money balanceAfter = account.getBalance().plus(limit);
        if (balanceAfter.isNegative()) {
            throw new BusinessRuleException("OVERDRAFT_IN_USE", "the account is already overdrawn beyond " + limit);
        }
        account.setOverdraftLimit(limit);
        return account;
    }

    /**
     * Takes a payment out of an account, checking the account and the funds.
     *
     * @param accountId the paying account
     * @param amount    the amount to take
     * @return the account after the debit
     */
    public Account withdraw(UUID accountId, Money amount) {
        Account account = getAccount(accountId);
        if (!account.getBalance().getCurrency().equals(amount.getCurrency())) {
            throw new BusinessRuleException("CURRENCY_MISMATCH",
                    "account is in " + account.getBalance().getCurrency());
        }
        account.debit(amount);
        return accounts.save(account);
    }
}
