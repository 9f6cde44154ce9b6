package com.acme.payments.web;

import com.acme.payments.domain.Account;
import com.acme.payments.domain.Money;
import com.acme.payments.service.AccountService;
import com.acme.payments.web.dto.AccountResponse;
import com.acme.payments.web.dto.RenameRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;

/**
 * REST endpoints for accounts.
 */
@RestController
public class AccountController {

    private final AccountService service;

    public AccountController(AccountService service) {
        this.service = service;
    }

    /** Body of {@code PUT /accounts/{accountId}/overdraft-limit}. */
    public record OverdraftLimitRequest(@NotNull @DecimalMin("0.00") BigDecimal limit) {
    }

    /** The open and frozen accounts of a customer. */
    @GetMapping("/accounts")
    public List<AccountResponse> list(@RequestParam UUID customerId) {
        return service.listForCustomer(customerId).stream().map(AccountResponse::from).toList();
    }

    /** One account with its balance and available funds. */
    @GetMapping("/accounts/{accountId}")
    public AccountResponse get(@PathVariable UUID accountId) {
        return AccountResponse.from(service.getAccount(accountId));
    }

    /** Changes the nickname of an account. */
    @PatchMapping("/accounts/{accountId}")
    public AccountResponse rename(@PathVariable UUID accountId, @Valid @RequestBody RenameRequest request) {
        return AccountResponse.from(service.rename(accountId, request.name()));
    }

    /**
     * Sets the arranged overdraft limit in the account's currency.
     *
     * @param accountId the account
     * @param request   the new limit
     * @return the updated account
     */
    @PutMapping("/accounts/{accountId}/overdraft-limit")
    public AccountResponse changeOverdraftLimit(@PathVariable UUID accountId,
                                                @Valid @RequestBody OverdraftLimitRequest request) {
        Account account = service.getAccount(accountId);
        Money limit = Money.of(request.limit(), account.getBalance().getCurrency());
        Account updated = service.changeOverdraftLimit(accountId, limit);
        return AccountResponse.from(updated);
    }
}
