Feature: Send money abroad
  As a customer with family in Poland
  I want to send euros to a bank in another country
  So that I can support my family without visiting a branch

  Scenario: Show the rate and the fee before sending
    Given I am sending 200.00 EUR to a bank in Poland
    When I review the transfer
    Then I see the exchange rate, the 2.50 GBP fee and the total in GBP

  Scenario: Refuse an IBAN with a wrong check digit
    Given I typed an IBAN whose check digits do not match
    When I confirm the transfer
    Then I see the error "check the IBAN, it is not valid"

  Scenario: Large transfers need a second confirmation
    Given I am sending 9000.00 EUR abroad
    When I confirm the transfer
    Then I must also confirm it with a one-time passcode
