Feature: Keep my contact details up to date
  As a customer
  I want to change my email address, mobile number and postal address
  So that the bank can reach me about my payments

  Scenario: Change my email address
    Given my profile has the email address "alex.old@example.org"
    When I change it to "alex.new@example.org"
    Then my profile shows "alex.new@example.org"
    And a confirmation is sent to both addresses

  Scenario: Email address used by another customer
    Given another customer uses the email address "sam@example.org"
    When I change my email address to "sam@example.org"
    Then I see the error "the email address belongs to another customer"

  Scenario: SMS messages need a mobile number
    Given I have no mobile number on my profile
    When I choose SMS for failed payment messages
    Then the change is refused
    And I am asked to add a mobile number first

  Scenario: Move house
    Given my correspondence address is "1 Example Street, Exampleton"
    When I add the address "2 Sample Road, Exampleton" valid from 1 April 2026
    Then statements from April 2026 are sent to "2 Sample Road, Exampleton"
